#!/usr/bin/env node
// The consumer check: keycard as a user gets it from npm, in a project of its own.
//
// It packs keycard (or takes a packed tarball), makes an empty project, installs the tarball and
// only `openai`, the way the README says (`npm i keycard openai`), and by default with
// `--ignore-scripts`, the way workflow platforms install (better-sqlite3's binding is then not
// built). There it runs `keycard demo`, `keycard check anthropic` (offline, with a made-up key,
// then live to see the install hint), every example copied out of node_modules/keycard/examples,
// and `tsc --noEmit` with `skipLibCheck: false` in four setups (ESM nodenext, CommonJS node16,
// CommonJS node10, bundler). Then it installs the other SDKs and pino, and runs the demo, every
// example and the type checks again, now asserting that `.sdk` is exactly each SDK's client.
//
//   node test/consumer/run.mjs [--tarball FILE] [--scripts | --sqlite-from-repo] [--openai-only] [--keep]
//
//   --tarball FILE       use this packed keycard instead of running `npm pack` (CI packs once)
//   --scripts            install with install scripts (better-sqlite3 compiles its binding: minutes)
//   --sqlite-from-repo   install without scripts, then copy this repository's compiled
//                        better-sqlite3 binding in (the same version): what --scripts gives, fast
//   --openai-only    stop after the project with only `openai` installed
//   --keep           keep the temporary project and print where it is
//
// Installs use the versions in this repository's node_modules, with --prefer-offline, so a warm
// npm cache (after `npm ci`) serves them. No key is written here: the check's keys are made at run
// time by keycard/testing's fakeKey() inside the consumer project.
import { execFile, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('fixtures/', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};

// What a key printed in clear looks like (the same pattern as test/helpers/cli.ts).
const CLEAR_KEY =
  /(?:sk-(?:proj|ant-api03|svcacct|admin)-|AIzaSy|xox[bp]-\d+-|xai-)[A-Za-z0-9_-]{8}|\d{8,10}:AA[A-Za-z0-9_-]{8}/;
const PROVIDER_VARIABLES = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'XAI_API_KEY',
  'DISCORD_BOT_TOKEN',
  'DISCORD_TOKEN',
  'KEYCARD_PASSPHRASE',
  'VAULT_TOKEN',
  'VAULT_ADDR',
];
const OTHER_PACKAGES = [
  '@anthropic-ai/sdk',
  '@google/genai',
  '@google/generative-ai',
  '@slack/web-api',
  'telegraf',
  '@discordjs/rest',
  'pino',
  // examples/vercel-ai.mjs: the Vercel AI SDK, which createFetch serves (keycard never imports it).
  'ai',
  '@ai-sdk/openai',
];

const started = performance.now();
let failures = 0;
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const step = (title) => console.log(`\n--> ${title} (${seconds()} s)`);
const pass = (what) => console.log(`  ok  ${what}`);
function fail(what, result) {
  failures += 1;
  console.log(`  FAIL ${what}`);
  if (result !== undefined) {
    console.log(`       exit ${result.code}`);
    const text = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n       ');
    console.log(`       ${text}`);
  }
}
function check(condition, what, result) {
  if (condition) pass(what);
  else fail(what, result);
  return condition;
}

/** Runs a command; never throws. */
function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
    maxBuffer: 32 * 1024 * 1024,
  });
  return {
    code: result.status ?? (result.error ? `error ${result.error.message}` : `signal ${result.signal}`),
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
  };
}

/** Runs a command in the background; resolves (never rejects) when it ends. */
function runAsync(command, commandArgs, options = {}) {
  return new Promise((resolve) => {
    execFile(
      command,
      commandArgs,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: 300_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (error.code ?? error.signal ?? 'error') : 0, stdout, stderr }),
    );
  });
}

/** The version of `name` installed in this repository, so that npm's cache serves it. */
function repoVersion(name) {
  return JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
}

const npmInstallFlags = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
if (flag('--scripts') && flag('--sqlite-from-repo'))
  throw new Error('--scripts or --sqlite-from-repo, not both');
if (!flag('--scripts')) npmInstallFlags.push('--ignore-scripts');

const work = mkdtempSync(join(tmpdir(), 'keycard-consumer-'));
const project = join(work, 'project');
const home = join(work, 'keycard-home');
mkdirSync(project);
mkdirSync(home);

// The consumer's environment: no provider key, no colour, a KEYCARD_HOME of its own.
const env = { ...process.env, NO_COLOR: '1', KEYCARD_HOME: home, npm_config_update_notifier: 'false' };
for (const name of PROVIDER_VARIABLES) delete env[name];
/** Examples that ran: they are not run again once more packages are installed. */
const passed = new Set();
const bin = (name) => join(project, 'node_modules', '.bin', name);

try {
  step('pack keycard');
  let tarball = option('--tarball');
  if (tarball === undefined) {
    const packed = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], {
      cwd: repo,
    });
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
    tarball = join(work, packed.stdout.trim().split('\n').at(-1));
  }
  tarball = resolve(tarball);
  console.log(`  ${basename(tarball)}`);

  step(`install keycard and openai only (${flag('--scripts') ? 'with' : 'without'} install scripts)`);
  console.log(`  in ${project}`);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'keycard-consumer', private: true, type: 'module' }, null, 2)}\n`,
  );
  const devTools = [`typescript@${repoVersion('typescript')}`, `@types/node@${repoVersion('@types/node')}`];
  const installed = run(
    'npm',
    ['install', ...npmInstallFlags, tarball, `openai@${repoVersion('openai')}`, ...devTools],
    { cwd: project, env, timeout: 900_000 },
  );
  if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
  pass(`installed in ${seconds()} s`);
  if (flag('--sqlite-from-repo')) {
    const version = (root) =>
      JSON.parse(readFileSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version;
    if (version(project) !== version(repo))
      throw new Error('--sqlite-from-repo: better-sqlite3 versions differ');
    cpSync(
      join(repo, 'node_modules', 'better-sqlite3', 'build'),
      join(project, 'node_modules', 'better-sqlite3', 'build'),
      {
        recursive: true,
      },
    );
    pass(`better-sqlite3 ${version(project)}: the binding compiled in this repository copied in`);
  }

  // Made-up keys, from keycard/testing inside the consumer: never a literal in this file.
  const fakeKey = (provider) => {
    const made = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { fakeKey } from 'keycard/testing'; process.stdout.write(fakeKey('${provider}'));`,
      ],
      { cwd: project, env },
    );
    if (made.code !== 0 || made.stdout === '') throw new Error(`fakeKey failed:\n${made.stderr}`);
    return made.stdout;
  };

  checkManifest();
  const withOnlyOpenAI = new Set(['openai']);
  checkDemo(withOnlyOpenAI);
  checkRecorded();
  checkCheck();
  const examples = copyExamples();
  checkExamples(examples, withOnlyOpenAI);
  await checkTypes(['openai.ts', 'registered.ts'], ['esm-nodenext', 'cjs-node16', 'cjs-node10', 'bundler']);

  if (!flag('--openai-only')) {
    step(`install the other SDKs and pino: ${OTHER_PACKAGES.join(', ')}`);
    const more = run(
      'npm',
      ['install', ...npmInstallFlags, ...OTHER_PACKAGES.map((name) => `${name}@${repoVersion(name)}`)],
      { cwd: project, env, timeout: 300_000 },
    );
    if (more.code !== 0) throw new Error(`npm install failed:\n${more.stderr}`);
    pass(`installed in ${seconds()} s`);
    const everything = new Set(['openai', ...OTHER_PACKAGES]);
    checkDemo(everything);
    checkExamples(examples, everything);
    // @google/genai's declarations name the DOM's fetch and WebSocket types (RequestInfo,
    // HeadersInit, CloseEvent): a project that installs it needs the DOM lib, with keycard or not.
    await checkTypes(
      ['openai.ts', 'all-sdks.ts', 'genai-type.ts'],
      ['esm-nodenext', 'cjs-node16'],
      ['ES2023', 'DOM'],
    );
  }

  function checkDemo(installed) {
    step(`keycard demo with ${[...installed].join(', ')} installed`);
    const demo = run(bin('keycard'), ['demo'], { cwd: project, env, timeout: 60_000 });
    if (!check(demo.code === 0, 'exits 0', demo)) return;
    check(demo.stdout.includes('OpenAI summarised:'), 'runs the OpenAI step', demo);
    const sdks = {
      '@anthropic-ai/sdk': 'Anthropic',
      '@google/generative-ai': 'Gemini',
      '@slack/web-api': 'Slack',
      telegraf: 'Telegram',
      '@discordjs/rest': 'Discord',
    };
    for (const [name, label] of Object.entries(sdks)) {
      const skipped = demo.stdout.includes(`npm i ${name}`);
      if (installed.has(name)) check(!skipped, `runs the ${label} step`, demo);
      else check(skipped, `shows the ${label} step as skipped with \`npm i ${name}\``, demo);
    }
    check(!CLEAR_KEY.test(demo.stdout + demo.stderr), 'prints no key', demo);
  }

  /**
   * A call with the default ledger is recorded and `keycard usage` shows it, whichever ledger the
   * install allows (SQLite; without install scripts on Node 20, the ledger.jsonl file).
   */
  function checkRecorded() {
    step('a call with the default ledger is recorded, and keycard usage shows it');
    const script = join(project, 'record-one-call.mjs');
    writeFileSync(
      script,
      [
        "import { createClient, keys } from 'keycard';",
        "import { fakeKey, startSimulator } from 'keycard/testing';",
        "const key = fakeKey('openai');",
        'const simulator = await startSimulator({ keys: [key] });',
        "const client = await createClient('openai', keys.literal(key), { baseURL: simulator.baseURL('openai'), workflow: 'consumer-check' });",
        "await client.sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });",
        'await client.close();',
        'await simulator.close();',
        '',
      ].join('\n'),
    );
    const recordEnv = { ...env, KEYCARD_HOME: join(work, 'record-home') };
    const call = run(process.execPath, [script], { cwd: project, env: recordEnv, timeout: 60_000 });
    if (!check(call.code === 0, 'the call succeeds', call)) return;
    check(!CLEAR_KEY.test(call.stdout + call.stderr), 'prints no key', call);
    const usage = run(bin('keycard'), ['usage', '--by', 'workflow', '--json'], {
      cwd: project,
      env: recordEnv,
    });
    let rows = [];
    try {
      rows = JSON.parse(usage.stdout);
    } catch {}
    const row = rows.find((item) => item.workflow === 'consumer-check');
    check(usage.code === 0 && row?.requests === 1, 'keycard usage shows the one request', usage);
  }

  function checkCheck() {
    step('keycard check anthropic, without the Anthropic SDK');
    const checkEnv = { ...env, ANTHROPIC_API_KEY: fakeKey('anthropic') };
    const offline = run(bin('keycard'), ['check', 'anthropic', '--offline'], { cwd: project, env: checkEnv });
    check(offline.code === 0 && /\bok\b/.test(offline.stdout), '--offline checks the shape: ok', offline);
    check(!CLEAR_KEY.test(offline.stdout + offline.stderr), '--offline prints no key', offline);
    const live = run(bin('keycard'), ['check', 'anthropic'], { cwd: project, env: checkEnv });
    check(live.code === 1, 'a live check exits 1', live);
    check(live.stdout.includes('npm i @anthropic-ai/sdk'), 'and names `npm i @anthropic-ai/sdk`', live);
    check(!/\n\s+at /.test(live.stdout + live.stderr), 'with no stack trace', live);
    check(!CLEAR_KEY.test(live.stdout + live.stderr), 'and prints no key', live);
  }

  function copyExamples() {
    step('copy the examples out of node_modules/keycard/examples');
    cpSync(join(project, 'node_modules', 'keycard', 'examples'), join(project, 'examples'), {
      recursive: true,
    });
    // Only .mjs files run here. examples/n8n-node and examples/node-red are packages of their own
    // (an n8n node built with tsc, a Node-RED node loaded by Node-RED), copied but not run: their
    // tests build and run them (test/examples/n8n-node.test.ts, test/examples/node-red.test.ts).
    const list = (directory) =>
      readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? list(join(directory, entry.name))
          : entry.name.endsWith('.mjs')
            ? [join(directory, entry.name)]
            : [],
      );
    const examples = list(join(project, 'examples')).sort();
    check(examples.length > 0, `${examples.length} examples`);
    return examples;
  }

  function checkExamples(examples, installed) {
    step(`run every example as copied, with ${[...installed].join(', ')} installed`);
    for (const file of examples) {
      const name = relative(project, file);
      if (passed.has(file)) continue;
      const header = /Install: npm i keycard([^\n]*)/.exec(readFileSync(file, 'utf8'));
      if (header === null) {
        fail(`${name} says what it needs on an "Install: npm i keycard …" line`);
        continue;
      }
      // `@google/genai@2` needs the package `@google/genai` (a version range after its name).
      const needs = header[1]
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((spec) => spec.replace(/(?<=.)@[^/@]*$/, ''));
      const missing = needs.filter((name) => !installed.has(name));
      const result = run(process.execPath, [file], { cwd: project, env });
      const output = result.stdout + result.stderr;
      if (missing.length === 0) {
        if (check(result.code === 0 && result.stderr.trim() === '', `${name} runs offline`, result))
          passed.add(file);
      } else {
        check(
          result.code !== 0 && missing.some((name) => output.includes(name)),
          `${name} stops and names ${missing.join(', ')}`,
          result,
        );
      }
      check(!CLEAR_KEY.test(output), `${name} prints no key`, result);
    }
  }

  // The setups are checked at once (tsc is single-threaded), and reported in order.
  async function checkTypes(files, setups, lib = ['ES2023']) {
    step(`tsc --noEmit, skipLibCheck false: ${files.join(', ')}`);
    const compilerOptions = {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      target: 'ES2022',
      lib,
      types: ['node'],
      esModuleInterop: true,
    };
    const settings = {
      'esm-nodenext': { dir: 'types-esm', type: 'module', module: 'NodeNext', moduleResolution: 'NodeNext' },
      'cjs-node16': { dir: 'types-cjs', type: 'commonjs', module: 'Node16', moduleResolution: 'Node16' },
      'cjs-node10': { dir: 'types-cjs10', type: 'commonjs', module: 'CommonJS', moduleResolution: 'Node10' },
      bundler: { dir: 'types-bundler', type: 'module', module: 'ESNext', moduleResolution: 'Bundler' },
    };
    const runs = setups.map((setup) => {
      const { dir, type, ...modules } = settings[setup];
      const directory = join(project, dir);
      rmSync(directory, { recursive: true, force: true });
      mkdirSync(directory);
      for (const file of ['equal.ts', ...files]) cpSync(join(fixtures, file), join(directory, file));
      writeFileSync(join(directory, 'package.json'), `${JSON.stringify({ type })}\n`);
      writeFileSync(
        join(directory, 'tsconfig.json'),
        `${JSON.stringify({ compilerOptions: { ...compilerOptions, ...modules }, include: ['*.ts'] }, null, 2)}\n`,
      );
      return {
        what: `${setup} (${type}, module ${modules.module})`,
        result: runAsync(bin('tsc'), ['-p', directory], { cwd: project, env }),
      };
    });
    for (const { what, result } of runs) {
      const done = await result;
      check(done.code === 0, what, done);
    }
  }
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
} finally {
  if (flag('--keep')) console.log(`\nkept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

console.log(`\nconsumer check: ${failures === 0 ? 'passed' : `${failures} failed`} in ${seconds()} s`);
process.exitCode = failures === 0 ? 0 : 1;

/**
 * The published manifest and files: no `prepare` (npm 11 flags it on every install; keycard
 * builds on `prepack`), no devDependencies, and every source map's sources shipped.
 */
function checkManifest() {
  step('the published package.json and source maps');
  const root = join(project, 'node_modules', 'keycard');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  check(manifest.scripts?.prepare === undefined, 'no prepare script in the published manifest', {
    stdout: JSON.stringify(manifest.scripts),
  });
  check(manifest.devDependencies === undefined, 'no devDependencies in the published manifest', {});
  let maps = 0;
  const missing = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.map')) {
        maps += 1;
        const map = JSON.parse(readFileSync(path, 'utf8'));
        map.sources.forEach((source, index) => {
          // keycard's own sources ship in src/; a bundler's helper (tsup's shims) is embedded.
          const embedded =
            source.includes('node_modules/') && typeof map.sourcesContent?.[index] === 'string';
          if (!embedded && !existsSync(resolve(dirname(path), source)))
            missing.push(`${path.slice(root.length)} → ${source}`);
        });
      }
    }
  };
  walk(join(root, 'dist'));
  check(maps > 0 && missing.length === 0, `every source of ${maps} source maps is in the package`, {
    stdout: missing.slice(0, 10).join('\n'),
  });
}
