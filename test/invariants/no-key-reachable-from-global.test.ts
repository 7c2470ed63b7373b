/**
 * No key, Vault token or keystore passphrase is reachable from the global object: a child process
 * reads a key from every kind of source (file, Vault with a token from a file, the keystore with a
 * passphrase from a file, a literal, a chain) with both the ESM and the CommonJS copy of keycard,
 * calls each provider's simulator, then walks everything reachable from `globalThis` (own keys and
 * symbols, Map and Set contents, prototypes, byte arrays; the environment excepted, which holds
 * what the user put there) and finds none of them.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKeystore } from '../../src/keys/keystore.js';
import { secretRegistry } from '../../src/redact/registry.js';
import {
  type Simulator,
  startSimulator,
  startVaultSimulator,
  type VaultSimulator,
} from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('../helpers/global-walk-child.mjs', import.meta.url));

let simulator: Simulator;
let vault: VaultSimulator;

beforeAll(async () => {
  vault = await startVaultSimulator();
  vault.mount('secret', { version: 2 });
});

afterAll(async () => {
  await Promise.all([simulator?.close(), vault.close()]);
});

describe('the global object', () => {
  it('reaches no key, Vault token or passphrase after every kind of source was read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keycard-walk-'));
    const secrets = {
      openai: testKey('openai', 'walk'),
      anthropic: testKey('anthropic', 'walk'),
      gemini: testKey('gemini', 'walk'),
      slack: testKey('slack', 'walk'),
      telegram: testKey('telegram', 'walk'),
      passphrase: `walk-passphrase-${testKey('xai', 'walk').slice(4, 30)}`,
      vaultToken: vault.createToken({ policies: ['secret/*'] }),
    };
    simulator = await startSimulator({
      keys: [secrets.openai, secrets.anthropic, secrets.gemini, secrets.slack, secrets.telegram],
    });
    vault.put('secret', 'anthropic', { api_key: secrets.anthropic });
    const file = async (name: string, content: string) => {
      const path = join(dir, name);
      await writeFile(path, `${content}\n`, { mode: 0o600 });
      await chmod(path, 0o600);
      return path;
    };
    const passphraseFile = await file('passphrase', secrets.passphrase);
    const keystore = join(dir, 'keys.json');
    await openKeystore({ path: keystore, passphrase: `file:${passphraseFile}`, kdf: { N: 2 ** 14 } }).add(
      'gemini',
      secrets.gemini,
      { provider: 'gemini' },
    );
    const plan = {
      baseURLs: Object.fromEntries(
        (['openai', 'anthropic', 'gemini', 'slack', 'telegram'] as const).map((p) => [
          p,
          simulator.baseURL(p),
        ]),
      ),
      vault: vault.address,
      openaiFile: await file('openai.key', secrets.openai),
      vaultTokenFile: await file('vault-token', secrets.vaultToken),
      keystore,
      passphraseFile,
      slackLiteral: secrets.slack,
      telegramFile: await file('telegram.key', secrets.telegram),
      secrets: Object.entries(secrets).map(([name, value]) => ({ name, value })),
    };
    const planFile = await file('plan.json', JSON.stringify(plan));
    const { stdout } = await run(process.execPath, [child, planFile], { timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      found: string[];
      objects: number;
    };
    expect(result.objects).toBeGreaterThan(1000);
    expect(result.found).toEqual([]);
  }, 90_000);

  it('holds the registry behind a handle no code can enumerate, clear or replace', () => {
    const value = testKey('openai', 'registry-handle');
    secretRegistry().register(value, '[REDACTED]');
    const symbol = Symbol.for('keycard.redact.registry.v2');
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, symbol);
    expect(descriptor).toMatchObject({ enumerable: false, writable: false, configurable: false });
    expect(Object.isFrozen(descriptor?.value)).toBe(true);
    expect(() => {
      (globalThis as Record<symbol, unknown>)[symbol] = {};
    }).toThrow(TypeError);
    expect(Reflect.deleteProperty(globalThis, symbol)).toBe(false);
    expect(JSON.stringify(Object.values(descriptor?.value as object).map(String))).not.toContain(value);
  });
});
