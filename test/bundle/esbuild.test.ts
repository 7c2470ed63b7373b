/**
 * Issue 21: a workflow node that uses keycard and one SDK bundles with esbuild with no `external`
 * list, and the bundle runs where nothing can be resolved at run time (no node_modules), against
 * the simulator, with a memory ledger. Before the `sdk` option and `importOptional`, esbuild
 * failed on every optional peer keycard imports lazily ("Could not resolve").
 *
 * The project is built the way npm installs it: keycard's package.json and dist (a copy of this
 * repository's build: run `npm run build` first), its dependencies, and `openai`; no other SDK,
 * no pg, no @opentelemetry/api, no better-sqlite3.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/testing/index.js';
import { testKey } from '../helpers/keys.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** keycard's dependencies that the library's entry loads, and the SDK each node uses. */
const INSTALLED = ['zod', '@pydantic/genai-prices', 'openai', '@google/genai'];
/** What keycard loads only on demand: none may be in the bundle, or be required by it. */
const NOT_BUNDLED = [
  'better-sqlite3',
  'pg',
  '@opentelemetry/api',
  '@anthropic-ai/sdk',
  '@google/genai',
  '@google/generative-ai',
  '@slack/web-api',
  'telegraf',
  '@discordjs/rest',
];

let project: string;
let runDir: string;

function installProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keycard-bundle-'));
  const keycard = join(dir, 'node_modules', 'keycard');
  mkdirSync(keycard, { recursive: true });
  cpSync(join(repo, 'package.json'), join(keycard, 'package.json'));
  cpSync(join(repo, 'dist'), join(keycard, 'dist'), { recursive: true });
  for (const name of INSTALLED) {
    const target = join(dir, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(repo, 'node_modules', name), target, 'dir');
  }
  cpSync(fixtures, join(dir, 'src'), { recursive: true });
  return dir;
}

/** Whether a `node_modules` folder is in `dir` or any folder above it (where Node would look). */
function nodeModulesAbove(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) return current;
    if (current === parse(current).root) return undefined;
  }
}

function run(bundle: string, args: string[], stdin: string, cwd: string, nodeFlags: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // No NODE_PATH, no HOME, no KEYCARD_*: only PATH.
    const child = spawn(process.execPath, [...nodeFlags, bundle, ...args], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', NODE_PATH: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

beforeAll(() => {
  if (!existsSync(join(repo, 'dist', 'index.js')))
    throw new Error('test/bundle needs the build: run `npm run build`.');
  project = installProject();
  runDir = mkdtempSync(join(tmpdir(), 'keycard-bundle-run-'));
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(runDir, { recursive: true, force: true });
});

describe('a node with keycard and openai, bundled by esbuild with no external list', () => {
  for (const format of ['cjs', 'esm'] as const) {
    it(`bundles (${format}) with no error and no warning, and leaves out keycard's optional packages`, async () => {
      const outfile = join(project, `bundle.${format === 'cjs' ? 'cjs' : 'mjs'}`);
      const result = await build({
        entryPoints: [join(project, 'src', 'main.ts')],
        absWorkingDir: project,
        bundle: true,
        platform: 'node',
        format,
        target: 'node20',
        outfile,
        metafile: true,
        logLevel: 'silent',
      });
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((input) => input.includes('node_modules/keycard/dist/'))).toBe(true);
      expect(inputs.some((input) => input.includes('openai'))).toBe(true);
      const text = readFileSync(outfile, 'utf8');
      for (const name of NOT_BUNDLED) {
        expect(inputs.filter((input) => input.includes(`node_modules/${name}/`))).toEqual([]);
        expect(text).not.toContain(`require("${name}")`);
        expect(text).not.toContain(`import("${name}")`);
        expect(text).not.toMatch(new RegExp(`from "${name.replace('/', '\\/')}"`));
      }
    });
  }

  // The second run is a sandbox: Node's permission model lets the process read the bundle and
  // nothing else, and write no file. keycard's sandbox-friendly configuration needs no more.
  const permission = process.allowedNodeEnvironmentFlags.has('--permission')
    ? '--permission'
    : '--experimental-permission';
  for (const sandbox of [false, true]) {
    it(`runs from a folder with no node_modules${sandbox ? ', with no file-system access,' : ''} against the simulator, and records the call`, async () => {
      const bundle = join(runDir, 'node.cjs');
      cpSync(join(project, 'bundle.cjs'), bundle);
      // Nothing can be resolved at run time: a bundle that still needs a package fails here.
      expect(nodeModulesAbove(runDir)).toBeUndefined();
      const key = testKey('openai', 'bundle');
      const simulator = await startSimulator({ keys: [key], providers: ['openai'] });
      try {
        const flags = sandbox ? [permission, `--allow-fs-read=${bundle}`] : [];
        const result = await run(bundle, [simulator.baseURL('openai')], key, runDir, flags);
        // The permission model's own notice is the one line allowed on stderr.
        const stderr = result.stderr
          .split('\n')
          .filter((line) => line !== '' && !/ExperimentalWarning: Permission|--trace-warnings/.test(line));
        expect(stderr).toEqual([]);
        expect(result.code).toBe(0);
        expect(result.stdout).not.toContain(key);
        const output = JSON.parse(result.stdout) as {
          reply: string | null;
          source: string;
          recorded: { provider: string; operation: string; outcome: string; inputTokens: number | null }[];
        };
        expect(output.reply).toEqual(expect.any(String));
        expect(output.source).toBe('n8n credential');
        expect(output.recorded).toEqual([
          {
            provider: 'openai',
            operation: 'chat.completions',
            outcome: 'ok',
            inputTokens: expect.any(Number),
          },
        ]);
        expect(
          simulator.requests.filter((request) => request.path.endsWith('/chat/completions')),
        ).toHaveLength(1);
      } finally {
        await simulator.close();
      }
    });
  }

  it('without the sdk option, fails in the bundle with the hint to pass it', async () => {
    const bundle = join(runDir, 'node.cjs');
    cpSync(join(project, 'bundle.cjs'), bundle);
    const key = testKey('openai', 'bundle-no-sdk');
    const result = await run(bundle, ['http://127.0.0.1:9/v1', '--no-sdk'], key, runDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('KeycardError: The OpenAI SDK is not installed.');
    expect(result.stderr).toContain(
      "hand keycard the SDK you imported: createClient('openai', source, { sdk: OpenAI })",
    );
    expect(result.stderr).not.toContain(key);
  });
});

describe('a node with keycard and @google/genai, bundled by esbuild with no external list', () => {
  it('bundles (cjs) with no warning, and runs from a folder with no node_modules and no file-system access', async () => {
    const outfile = join(project, 'genai-bundle.cjs');
    const result = await build({
      entryPoints: [join(project, 'src', 'genai-main.ts')],
      absWorkingDir: project,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes('node_modules/@google/genai/'))).toBe(true);
    const text = readFileSync(outfile, 'utf8');
    for (const name of NOT_BUNDLED.filter((other) => other !== '@google/genai')) {
      expect(inputs.filter((input) => input.includes(`node_modules/${name}/`))).toEqual([]);
      expect(text).not.toContain(`require("${name}")`);
    }
    expect(inputs.filter((input) => input.includes('node_modules/openai/'))).toEqual([]);

    const bundle = join(runDir, 'genai-node.cjs');
    cpSync(outfile, bundle);
    expect(nodeModulesAbove(runDir)).toBeUndefined();
    const key = testKey('gemini', 'bundle');
    const simulator = await startSimulator({ keys: [key], providers: ['gemini'] });
    try {
      const permission = process.allowedNodeEnvironmentFlags.has('--permission')
        ? '--permission'
        : '--experimental-permission';
      const ran = await run(bundle, [simulator.baseURL('gemini')], key, runDir, [
        permission,
        `--allow-fs-read=${bundle}`,
      ]);
      const stderr = ran.stderr
        .split('\n')
        .filter((line) => line !== '' && !/ExperimentalWarning: Permission|--trace-warnings/.test(line));
      expect(stderr).toEqual([]);
      expect(ran.code).toBe(0);
      expect(ran.stdout).not.toContain(key);
      expect(JSON.parse(ran.stdout)).toEqual({
        reply: expect.stringMatching(/^Simulated reply/),
        recorded: [
          {
            provider: 'gemini',
            operation: 'generateContent',
            outcome: 'ok',
            inputTokens: expect.any(Number),
          },
        ],
      });
    } finally {
      await simulator.close();
    }
  });
});

// Rolldown (Rollup's API, the bundler of Vite 8; present here through vitest): the same node, no
// external list, no plugin.
describe('the same node bundled by Rolldown', () => {
  it('bundles with no warning and runs with no file-system access against the simulator', async () => {
    const logs: string[] = [];
    const bundler = await rolldown({
      input: join(project, 'src', 'main.ts'),
      cwd: project,
      platform: 'node',
      onLog: (level, log) => {
        logs.push(`${level} ${log.code ?? ''}: ${log.message}`);
      },
    });
    const bundle = join(runDir, 'rolldown.cjs');
    await bundler.write({ file: bundle, format: 'cjs', codeSplitting: false });
    await bundler.close();
    expect(logs).toEqual([]);
    const text = readFileSync(bundle, 'utf8');
    for (const name of NOT_BUNDLED) expect(text).not.toContain(`require("${name}")`);
    const key = testKey('openai', 'rolldown');
    const simulator = await startSimulator({ keys: [key], providers: ['openai'] });
    try {
      const permission = process.allowedNodeEnvironmentFlags.has('--permission')
        ? '--permission'
        : '--experimental-permission';
      const result = await run(bundle, [simulator.baseURL('openai')], key, runDir, [
        permission,
        `--allow-fs-read=${bundle}`,
      ]);
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout) as { recorded: { outcome: string }[] };
      expect(output.recorded.map((event) => event.outcome)).toEqual(['ok']);
    } finally {
      await simulator.close();
    }
  });
});
