/**
 * Invariant 2: `import('keycard')` loads no provider SDK (nor the Vercel AI SDK or LangChain.js,
 * nor zod, which costs 50 ms, nor Node's own fetch, undici, which costs 25 ms here). Checked on
 * the built package, in a fresh process, for both the ESM and the CommonJS build.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const lister = fileURLToPath(new URL('../helpers/list-loaded-modules.mjs', import.meta.url));
const SDKS = [
  'openai',
  '@anthropic-ai/sdk',
  '@google/generative-ai',
  '@google/genai',
  '@google-cloud/secret-manager',
  '@azure/keyvault-secrets',
  '@azure/identity',
  '@slack/web-api',
  'telegraf',
  '@discordjs/rest',
  'zod',
  '@aws-sdk/client-secrets-manager',
  '@1password/connect',
  // The frameworks createFetch serves are the user's: keycard never imports them.
  'ai',
  '@ai-sdk/openai',
  '@ai-sdk/anthropic',
  '@ai-sdk/google',
  '@langchain/core',
  '@langchain/openai',
  '@langchain/anthropic',
];

function loadedBy(mode: 'esm' | 'cjs', file: string): string[] {
  const output = execFileSync(process.execPath, [lister, mode, `${root}${file}`], { encoding: 'utf8' });
  return JSON.parse(output) as string[];
}

describe('import keycard', () => {
  it.each([
    ['esm', 'dist/index.js'],
    ['cjs', 'dist/index.cjs'],
  ] as const)('loads no provider SDK (%s build)', (mode, file) => {
    const loaded = loadedBy(mode, file);
    expect(loaded.some((url) => url.includes('/dist/index.'))).toBe(true);
    const offending = loaded.filter((url) => SDKS.some((sdk) => url.includes(`/node_modules/${sdk}/`)));
    expect(offending).toEqual([]);
    expect(loaded.filter((name) => name.startsWith('builtin:'))).toEqual([]);
  });
});
