// Child process for the global-object walk: reads a key of every kind of source with keycard's
// built ESM and CommonJS copies, makes a call with each client, then walks everything reachable
// from globalThis and prints where any secret was found (paths only, never the values).
// argv: the JSON file written by the test (paths, addresses; the secrets to look for).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../../', import.meta.url);
const esm = await import(new URL('dist/index.js', root).href);
const cjs = createRequire(import.meta.url)(new URL('dist/index.cjs', root).pathname);

/** Everything the test handed over, kept in this closure, never on a global. */
async function exercise() {
  const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const ledger = esm.memoryLedger();
  const base = (provider) => ({ baseURL: plan.baseURLs[provider], ledger, maxKeyAgeDays: false });
  const vaultToken = esm.keys.file(plan.vaultTokenFile);
  const clients = [
    await esm.createClient('openai', esm.keys.file(plan.openaiFile), base('openai')),
    await esm.createClient(
      'anthropic',
      esm.keys.vault(`${plan.vault}/v1/secret/data/anthropic#api_key`, { token: vaultToken }),
      base('anthropic'),
    ),
    await esm.createClient(
      'gemini',
      esm.keys.keystore('gemini', { path: plan.keystore, passphrase: `file:${plan.passphraseFile}` }),
      base('gemini'),
    ),
    await cjs.createClient('slack', cjs.keys.literal(plan.slackLiteral), base('slack')),
    await cjs.createClient(
      'telegram',
      cjs.keys.chain(cjs.keys.env('KEYCARD_WALK_UNSET'), cjs.keys.file(plan.telegramFile)),
      base('telegram'),
    ),
  ];
  const [openai, anthropic, gemini, slack, telegram] = clients;
  await openai.sdk.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  });
  await anthropic.sdk.messages.create({
    model: 'claude-3-5-haiku-latest',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hi' }],
  });
  await gemini.sdk.getGenerativeModel({ model: 'gemini-2.0-flash' }).generateContent('hi');
  await slack.sdk.chat.postMessage({ channel: 'C123', text: 'hi' });
  await telegram.sdk.sendMessage(42, 'hi');
  for (const client of clients) await client.verify();
  // Redacting a line makes each copy build its matcher from the registry.
  esm.redactText('nothing here');
  cjs.redactText('nothing here');
  return plan.secrets;
}

/** Breadth-first over own properties (data only: no getter runs), symbols, Map/Set contents, prototypes. */
function walk(secrets) {
  const found = [];
  const seen = new Set();
  const queue = [[globalThis, 'globalThis']];
  const check = (text, path) => {
    for (const secret of secrets) if (text.includes(secret.value)) found.push(`${secret.name} at ${path}`);
  };
  const visit = (value, path) => {
    if (typeof value === 'string') check(value, path);
    else if (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      !seen.has(value)
    ) {
      seen.add(value);
      queue.push([value, path]);
    }
  };
  let objects = 0;
  while (queue.length > 0 && objects < 3_000_000) {
    const [object, path] = queue.shift();
    objects += 1;
    if (object === process.env) continue; // the environment holds what the user put there
    if (ArrayBuffer.isView(object) && object.byteLength < 1 << 20) {
      check(Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('latin1'), path);
      continue;
    }
    if (object instanceof Map) {
      for (const [key, entry] of object) {
        visit(key, `${path}<key>`);
        visit(entry, `${path}<value>`);
      }
    }
    if (object instanceof Set) for (const entry of object) visit(entry, `${path}<entry>`);
    let keys = [];
    try {
      keys = Reflect.ownKeys(object);
    } catch {}
    for (const key of keys) {
      const name = typeof key === 'symbol' ? key.toString() : key;
      if (typeof key === 'string') check(key, `${path}[key]`);
      let descriptor;
      try {
        descriptor = Reflect.getOwnPropertyDescriptor(object, key);
      } catch {}
      if (descriptor !== undefined && 'value' in descriptor) visit(descriptor.value, `${path}.${name}`);
    }
    let proto = null;
    try {
      proto = Reflect.getPrototypeOf(object);
    } catch {}
    if (proto !== null) visit(proto, `${path}.__proto__`);
  }
  return { found, objects };
}

const secrets = await exercise();
process.stdout.write(`${JSON.stringify(walk(secrets))}\n`);
process.exit(0);
