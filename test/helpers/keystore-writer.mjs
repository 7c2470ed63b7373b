// Adds entries to a keystore from a separate process, for the concurrent-writers test.
// argv: keystore path, writer id, count, key prefix (a test key without its last characters).
import { openKeystore } from '../../dist/index.js';

const [path, writer, count, prefix] = process.argv.slice(2);
const store = openKeystore({ path, passphrase: 'env:KEYSTORE_TEST_PASSPHRASE' });
for (let index = 0; index < Number(count); index += 1) {
  await store.add(`w${writer}-${index}`, `${prefix}${writer}x${String(index).padStart(4, '0')}`);
}
