/**
 * `npm run bench`: keycard measured against the raw SDKs and the peers, side by side, as ratios
 * from one run on one machine. Each side of a comparison runs in fresh processes, alternated,
 * and the median of several rounds is kept (shared machines are noisy: ratios, not absolute
 * times). `--quick` runs a short version (CI runs it so that the bench cannot rot); `--write`
 * puts the results into bench/README.md.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import { Bench } from 'tinybench';
import { keys, openLedger } from '../dist/index.js';
import { fakeKey, startSimulator, startVaultSimulator } from '../dist/testing/index.js';
import { findSecrets, redactText } from '../src/redact/redactor.js';
import { generateCorpus, generateJsonCorpus } from '../test/helpers/corpus.js';
import { GITLEAKS_RULES } from './gitleaks-rules.js';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const write = process.argv.includes('--write');
/** `--only=redaction,ledger`: run only these sections (overhead, cold, redaction, ledger, vault). */
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .filter((name) => name !== '');
const runs = (section: string) => only === undefined || only.includes(section);
const here = import.meta.dirname;
const POSTGRES = process.env['KEYCARD_BENCH_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Row {
  subject: string;
  keycard: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
}
const rows: Row[] = [];
const notes: string[] = [];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const log = (text: string) => process.stderr.write(`${text}\n`);

async function node(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [join(here, script), ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

// 1. Per-call overhead ---------------------------------------------------------------------------

async function overhead(): Promise<void> {
  log('per-call overhead…');
  const key = { openai: fakeKey('openai'), anthropic: fakeKey('anthropic'), slack: fakeKey('slack') };
  const simulator = await startSimulator({ keys: Object.values(key) });
  const home = await mkdtemp(join(tmpdir(), 'keycard-bench-'));
  const rounds = quick ? 1 : 3;
  const time = quick ? 300 : 1500;
  try {
    for (const call of ['openai-chat', 'openai-stream', 'anthropic-chat', 'anthropic-stream', 'slack-post']) {
      const provider = call.split('-')[0] as 'openai' | 'anthropic' | 'slack';
      const ratios = { throughput: [] as number[], p50: [] as number[], p99: [] as number[] };
      let last = { raw: 0, keycard: 0 };
      for (let round = 0; round < rounds; round += 1) {
        // Alternate which side goes first.
        const order = round % 2 === 0 ? (['raw', 'keycard'] as const) : (['keycard', 'raw'] as const);
        const result: Record<string, { throughput: number; p50: number; p99: number }> = {};
        for (const side of order) {
          const output = await node('overhead-worker.mjs', [
            side,
            call,
            simulator.baseURL(provider),
            key[provider],
            String(time),
            join(home, `${call}-${round}.db`),
          ]);
          result[side] = JSON.parse(output) as { throughput: number; p50: number; p99: number };
        }
        const raw = result['raw'];
        const wrapped = result['keycard'];
        if (raw === undefined || wrapped === undefined) continue;
        ratios.throughput.push(wrapped.throughput / raw.throughput);
        ratios.p50.push(wrapped.p50 / raw.p50);
        ratios.p99.push(wrapped.p99 / raw.p99);
        last = { raw: raw.throughput, keycard: wrapped.throughput };
      }
      const throughput = median(ratios.throughput);
      rows.push({
        subject: `${call}: throughput (SQLite ledger on)`,
        keycard: `${fixed(last.keycard, 0)} calls/s`,
        baseline: `${fixed(last.raw, 0)} calls/s (raw SDK)`,
        ratio: fixed(throughput),
        target: '≥ 0.97',
        met: throughput >= 0.97,
      });
      rows.push({
        subject: `${call}: latency p50 / p99`,
        keycard: '',
        baseline: '',
        ratio: `${fixed(median(ratios.p50))} / ${fixed(median(ratios.p99))}`,
        target: '–',
        met: null,
      });
    }
  } finally {
    await simulator.close();
    await rm(home, { recursive: true, force: true });
  }
}

// 2. Cold start ----------------------------------------------------------------------------------

async function coldStart(): Promise<void> {
  log('cold start…');
  const key = fakeKey('openai');
  const home = await mkdtemp(join(tmpdir(), 'keycard-bench-home-'));
  const rounds = quick ? 3 : 9;
  const times: Record<string, number[]> = {
    'keycard-import': [],
    'keycard-client': [],
    'keycard-client-noledger': [],
    'openai-client': [],
  };
  for (let round = 0; round < rounds; round += 1) {
    const order = Object.keys(times);
    if (round % 2 === 1) order.reverse();
    for (const what of order) {
      times[what]?.push(Number(await node('cold-worker.mjs', [what, key], { KEYCARD_HOME: home })));
    }
  }
  await rm(home, { recursive: true, force: true });
  const importMs = median(times['keycard-import'] ?? []);
  const withLedger = median(times['keycard-client'] ?? []);
  const noLedger = median(times['keycard-client-noledger'] ?? []);
  const raw = median(times['openai-client'] ?? []);
  rows.push({
    subject: "cold start: import('keycard')",
    keycard: `${fixed(importMs, 1)} ms`,
    baseline: '',
    ratio: '',
    target: '< 20 ms',
    met: importMs < 20,
  });
  rows.push({
    subject: "cold start: import + createClient('openai') (default SQLite ledger)",
    keycard: `${fixed(withLedger, 1)} ms`,
    baseline: `${fixed(raw, 1)} ms (import('openai') + new OpenAI())`,
    ratio: fixed(withLedger / raw),
    target: '≤ 1.10',
    met: withLedger / raw <= 1.1,
  });
  rows.push({
    subject: "cold start: import + createClient('openai', …, { ledger: false })",
    keycard: `${fixed(noLedger, 1)} ms`,
    baseline: `${fixed(raw, 1)} ms`,
    ratio: fixed(noLedger / raw),
    target: '≤ 1.10',
    met: noLedger / raw <= 1.1,
  });
}

// 3. Redaction -----------------------------------------------------------------------------------

function covers(ranges: Array<[number, number]>, start: number, end: number): 'whole' | 'part' | 'none' {
  let result: 'whole' | 'part' | 'none' = 'none';
  for (const [from, to] of ranges) {
    if (from <= start && to >= end) return 'whole';
    if (from < end && to > start) result = 'part';
  }
  return result;
}

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let sum = 0;
  for (const count of counts.values()) sum -= (count / text.length) * Math.log2(count / text.length);
  return sum;
}

/** keycard's redactor and secretlint on `text`: times (ms), alternated round by round, and the ranges each found. */
async function redactionRuns(
  text: string,
  rounds: number,
): Promise<{
  keycard: number[];
  secretlint: number[];
  keycardRanges: Array<[number, number]>;
  secretlintRanges: Array<[number, number]>;
}> {
  const keycard: number[] = [];
  const secretlint: number[] = [];
  let secretlintRanges: Array<[number, number]> = [];
  const runKeycard = () => {
    for (let run = 0; run < 2; run += 1) {
      const started = performance.now();
      redactText(text);
      keycard.push(performance.now() - started);
    }
  };
  const runSecretlint = async () => {
    const started = performance.now();
    const result = await lintSource({
      source: { filePath: '/corpus.log', content: text, contentType: 'text' },
      options: {
        config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] },
      },
    });
    secretlint.push(performance.now() - started);
    secretlintRanges = result.messages.map((message): [number, number] => [
      message.range[0],
      message.range[1],
    ]);
  };
  redactText(text); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) {
      runKeycard();
      await runSecretlint();
    } else {
      await runSecretlint();
      runKeycard();
    }
  }
  const keycardRanges = findSecrets(text).map((found): [number, number] => [
    found.index,
    found.index + found.length,
  ]);
  return { keycard, secretlint, keycardRanges, secretlintRanges };
}

/**
 * `keycard mask` as a user runs it (`keycard mask < file > out`): wall time on the corpus minus wall
 * time on an empty input (process start, the CLI's import, the set-up), alternated round by round,
 * medians; the output checked against the in-process redactor. `out` is /dev/null (what keycard
 * costs) or a file (what the disk adds).
 */
async function maskEndToEnd(
  text: string,
  rounds: number,
  toFile: boolean,
): Promise<{ full: number; empty: number; same: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'keycard-bench-mask-'));
  const cli = join(here, '../dist/cli/main.js');
  try {
    const input = join(dir, 'corpus.log');
    const empty = join(dir, 'empty.log');
    const file = join(dir, 'masked.log');
    await writeFile(input, text);
    await writeFile(empty, '');
    const time = async (from: string, to: string): Promise<number> => {
      const stdin = await open(from, 'r');
      const stdout = await open(to, 'w');
      try {
        const started = performance.now();
        const child = spawn(process.execPath, [cli, 'mask', '--no-env'], {
          stdio: [stdin.fd, stdout.fd, 'inherit'],
        });
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        if (code !== 0) throw new Error(`keycard mask exited with ${code}`);
        return performance.now() - started;
      } finally {
        await stdin.close();
        await stdout.close();
      }
    };
    const output = toFile ? file : '/dev/null';
    const full: number[] = [];
    const none: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      if (round % 2 === 0) {
        none.push(await time(empty, output));
        full.push(await time(input, output));
      } else {
        full.push(await time(input, output));
        none.push(await time(empty, output));
      }
    }
    await time(input, file);
    const same = (await readFile(file, 'utf8')) === redactText(text);
    return { full: median(full), empty: median(none), same };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function redaction(): Promise<void> {
  log('redaction corpus…');
  const bytes = (quick ? 4 : 50) * 1024 * 1024;
  const rounds = quick ? 1 : 3;
  const corpus = generateCorpus({ seed: 2026, bytes, perShape: quick ? 4 : 16 });
  const { text } = corpus;
  const mib = text.length / 1024 / 1024;
  const positions = corpus.planted.map(({ key }) => {
    const start = text.indexOf(key);
    return { start, end: start + key.length };
  });
  const decoyPositions = corpus.decoys.map((decoy) => {
    const start = text.indexOf(decoy);
    return { start, end: start + decoy.length };
  });

  // keycard and secretlint, alternated
  log('keycard and secretlint…');
  const runs = await redactionRuns(text, rounds);
  const keycardFound = positions.filter(
    ({ start, end }) => covers(runs.keycardRanges, start, end) === 'whole',
  ).length;
  const keycardDecoys = decoyPositions.filter(
    ({ start, end }) => covers(runs.keycardRanges, start, end) !== 'none',
  ).length;
  const keycardMs = median(runs.keycard);
  const keycardSpeed = mib / (keycardMs / 1000);
  const secretlintSpeed = mib / (median(runs.secretlint) / 1000);
  const secretlintRanges = runs.secretlintRanges;
  const secretlintWhole = positions.filter(
    ({ start, end }) => covers(secretlintRanges, start, end) === 'whole',
  ).length;
  const secretlintAny = positions.filter(
    ({ start, end }) => covers(secretlintRanges, start, end) !== 'none',
  ).length;
  const secretlintDecoys = decoyPositions.filter(
    ({ start, end }) => covers(secretlintRanges, start, end) !== 'none',
  ).length;

  // gitleaks rules as JavaScript regular expressions
  log('gitleaks rules…');
  const gitleaksTimes: number[] = [];
  let gitleaksRanges: Array<[number, number]> = [];
  for (let round = 0; round < (quick ? 1 : 2); round += 1) {
    const started = performance.now();
    const ranges: Array<[number, number]> = [];
    for (const rule of GITLEAKS_RULES) {
      rule.regex.lastIndex = 0;
      for (const match of text.matchAll(rule.regex)) {
        const secret = match[rule.group] ?? match[0];
        if (rule.minEntropy > 0 && entropy(secret) < rule.minEntropy) continue;
        const start = (match.index ?? 0) + match[0].indexOf(secret);
        ranges.push([start, start + secret.length]);
      }
    }
    gitleaksTimes.push(performance.now() - started);
    gitleaksRanges = ranges;
  }
  const gitleaksSpeed = mib / (median(gitleaksTimes) / 1000);
  const gitleaksFound = positions.filter(
    ({ start, end }) => covers(gitleaksRanges, start, end) === 'whole',
  ).length;
  const gitleaksDecoys = decoyPositions.filter(
    ({ start, end }) => covers(gitleaksRanges, start, end) !== 'none',
  ).length;

  const total = positions.length;
  rows.push({
    subject: `redaction: ${fixed(mib, 0)} MiB log corpus, vs secretlint 12 (recommended preset)`,
    keycard: `${fixed(keycardSpeed, 0)} MiB/s`,
    baseline: `${fixed(secretlintSpeed, 0)} MiB/s`,
    ratio: fixed(keycardSpeed / secretlintSpeed, 1),
    target: '≥ 10',
    met: keycardSpeed / secretlintSpeed >= 10,
  });
  rows.push({
    subject: 'redaction: vs gitleaks rules as JS regexes',
    keycard: `${fixed(keycardSpeed, 0)} MiB/s`,
    baseline: `${fixed(gitleaksSpeed, 0)} MiB/s`,
    ratio: fixed(keycardSpeed / gitleaksSpeed, 1),
    target: '–',
    met: null,
  });
  rows.push({
    subject: 'redaction: planted keys found whole (keycard / secretlint / gitleaks)',
    keycard: `${keycardFound}/${total}`,
    baseline: `${secretlintWhole}/${total} (${secretlintAny} at least in part) / ${gitleaksFound}/${total}`,
    ratio: '',
    target: `${total}/${total}`,
    met: keycardFound === total,
  });
  rows.push({
    subject: 'redaction: decoys hit (keycard / secretlint / gitleaks)',
    keycard: `${keycardDecoys}/${decoyPositions.length}`,
    baseline: `${secretlintDecoys} / ${gitleaksDecoys}`,
    ratio: '',
    target: '0',
    met: keycardDecoys === 0,
  });

  // Another shape of log: long JSON lines full of `:`, `.`, URLs and base64.
  log('JSON log corpus…');
  const json = generateJsonCorpus({ seed: 2027, bytes, perShape: quick ? 2 : 8 });
  const jsonMib = json.text.length / 1024 / 1024;
  const jsonRuns = await redactionRuns(json.text, rounds);
  const jsonSpeed = jsonMib / (median(jsonRuns.keycard) / 1000);
  const jsonSecretlint = jsonMib / (median(jsonRuns.secretlint) / 1000);
  const jsonFound = json.planted.filter(({ key }) => {
    const start = json.text.indexOf(key);
    return covers(jsonRuns.keycardRanges, start, start + key.length) === 'whole';
  }).length;
  rows.push({
    subject: `redaction: ${fixed(jsonMib, 0)} MiB JSON log corpus (1.5 KB lines, URLs, base64), vs secretlint`,
    keycard: `${fixed(jsonSpeed, 0)} MiB/s`,
    baseline: `${fixed(jsonSecretlint, 0)} MiB/s`,
    ratio: fixed(jsonSpeed / jsonSecretlint, 1),
    target: '–',
    met: null,
  });
  rows.push({
    subject: 'redaction: JSON corpus, planted keys found whole (keycard)',
    keycard: `${jsonFound}/${json.planted.length}`,
    baseline: '',
    ratio: '',
    target: `${json.planted.length}/${json.planted.length}`,
    met: jsonFound === json.planted.length,
  });

  // `keycard mask`, the built command, on the first corpus: to /dev/null (the target), to a file.
  log('keycard mask…');
  for (const toFile of [false, true]) {
    const mask = await maskEndToEnd(text, quick ? 2 : 5, toFile);
    const maskMs = mask.full - mask.empty;
    rows.push({
      subject: `redaction: keycard mask < ${fixed(mib, 0)} MiB file > ${toFile ? 'file' : '/dev/null'}, minus its run on empty input`,
      keycard: `${fixed(maskMs, 0)} ms (${fixed(mask.full, 0)} − ${fixed(mask.empty, 0)})${mask.same ? '' : ', OUTPUT DIFFERS'}`,
      baseline: `${fixed(keycardMs, 0)} ms (redactText in process)`,
      ratio: fixed(maskMs / keycardMs, 2),
      target: toFile ? '–' : '≤ 2',
      met: toFile ? null : mask.same && maskMs / keycardMs <= 2,
    });
  }
}

// 4. Ledger --------------------------------------------------------------------------------------

async function ledger(): Promise<void> {
  log('ledger…');
  const dir = await mkdtemp(join(tmpdir(), 'keycard-bench-ledger-'));
  try {
    const one = quick ? 20_000 : 200_000;
    const single = Number(
      await node('ledger-worker.mjs', [`sqlite:${join(dir, 'one.db')}`, String(one), '1']),
    );
    rows.push({
      subject: 'ledger: events/s into SQLite, one process',
      keycard: `${fixed(single, 0)} events/s`,
      baseline: '',
      ratio: '',
      target: '≥ 50,000',
      met: single >= 50_000,
    });
    const each = quick ? 5_000 : 50_000;
    const shared = join(dir, 'shared.db');
    const started = performance.now();
    await Promise.all(
      [1, 2, 3, 4].map((writer) =>
        node('ledger-worker.mjs', [`sqlite:${shared}`, String(each), String(writer)]),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const store = await openLedger(`sqlite:${shared}`);
    const [row] = await store.totals();
    await store.close();
    const lost = 4 * each - (row?.requests ?? 0);
    rows.push({
      subject: 'ledger: events/s into one SQLite file, four processes (process start included)',
      keycard: `${fixed((4 * each) / seconds, 0)} events/s`,
      baseline: '',
      ratio: '',
      target: 'no event lost',
      met: lost === 0,
    });
    if (lost !== 0) notes.push(`${lost} events were lost across processes.`);
    try {
      const schema = `keycard_bench_${process.pid}`;
      const pg = Number(
        await node('ledger-worker.mjs', [
          `${POSTGRES}?schema=${schema}`,
          String(quick ? 5_000 : 50_000),
          '1',
        ]),
      );
      rows.push({
        subject: 'ledger: events/s into PostgreSQL, one process',
        keycard: `${fixed(pg, 0)} events/s`,
        baseline: '',
        ratio: '',
        target: '–',
        met: null,
      });
      const { default: pgModule } = await import('pg');
      const client = new pgModule.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    } catch (error) {
      notes.push(`PostgreSQL was not measured: ${(error as Error).message.split('\n')[0]}`);
    }
    // The cost of a budget check: one reservation per call, under the store's lock.
    const budgeted = await openLedger(`sqlite:${join(dir, 'budget.db')}`);
    const scope = { field: 'key' as const, value: 'benchkey0000', id: 'key:benchkey0000' };
    const since = new Date(Date.UTC(2026, 0, 1));
    const bench = new Bench({ time: quick ? 200 : 1000 });
    let id = 0;
    bench.add('reserve', async () => {
      id += 1;
      await budgeted.reserve(scope, since, (spend) =>
        spend.requests < 1e12
          ? { id: `r${id}`, scope: scope.id, usd: 0, requests: 1, tokens: 0, expiresAt: Date.now() + 60_000 }
          : undefined,
      );
    });
    await bench.run();
    await budgeted.close();
    const perCall =
      bench.tasks[0]?.result && 'period' in bench.tasks[0].result
        ? (bench.tasks[0].result.period as number)
        : Number.NaN;
    rows.push({
      subject: 'ledger: budget check per call (SQLite reservation)',
      keycard: `${fixed(perCall * 1000, 0)} µs`,
      baseline: '',
      ratio: '',
      target: '–',
      met: null,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// 5. Vault source --------------------------------------------------------------------------------

async function vaultSource(): Promise<void> {
  log('vault…');
  const vault = await startVaultSimulator();
  try {
    vault.mount('secret', { version: 2 });
    vault.put('secret', 'openai', { api_key: fakeKey('openai') });
    const token = vault.createToken({ policies: ['root'] });
    const source = keys.vault(`${vault.address}/v1/secret/data/openai#api_key`, { token });
    vault.resetRequests();
    await Promise.all(Array.from({ length: 1000 }, () => source.resolve({ provider: 'openai' })));
    const requests = vault.count();
    rows.push({
      subject: 'vault: HTTP requests for 1,000 concurrent resolves of one secret',
      keycard: String(requests),
      baseline: '',
      ratio: '',
      target: '1',
      met: requests === 1,
    });
    const bench = new Bench({ time: quick ? 200 : 1000 });
    bench.add('cached resolve', () => source.resolve({ provider: 'openai' }));
    await bench.run();
    const result = bench.tasks[0]?.result;
    const period = result !== undefined && 'period' in result ? (result.period as number) : Number.NaN;
    rows.push({
      subject: 'vault: a cached resolve',
      keycard: `${fixed(period * 1_000_000, 0)} ns`,
      baseline: '',
      ratio: '',
      target: '–',
      met: null,
    });
  } finally {
    await vault.close();
  }
}

// ------------------------------------------------------------------------------------------------

const started = performance.now();
if (runs('overhead')) await overhead();
if (runs('cold')) await coldStart();
if (runs('redaction')) await redaction();
if (runs('ledger')) await ledger();
if (runs('vault')) await vaultSource();

const header =
  '| subject | keycard | baseline | ratio | target | met |\n| --- | --- | --- | --- | --- | --- |';
const body = rows
  .map(
    (row) =>
      `| ${row.subject} | ${row.keycard} | ${row.baseline} | ${row.ratio} | ${row.target} | ${row.met === null ? '' : row.met ? 'yes' : '**no**'} |`,
  )
  .join('\n');
const { stdout: commit } = await run('git', ['rev-parse', '--short', 'HEAD']).catch(() => ({
  stdout: 'unknown',
}));
const cpu = cpus();
const context = `Node ${process.version}, ${cpu.length} CPU (${cpu[0]?.model.trim() ?? 'unknown'}), ${new Date().toISOString().slice(0, 10)}, commit ${commit.trim()}${quick ? ', --quick' : ''}; ${fixed((performance.now() - started) / 1000, 0)} s.`;
const table = `${header}\n${body}`;
process.stdout.write(`\n${table}\n\n${context}\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
if (write && only !== undefined)
  log('--write is ignored with --only: the table would lose the other sections');
if (write && only === undefined) {
  const path = join(here, 'README.md');
  const readme = await readFile(path, 'utf8');
  const begin = '<!-- results:begin -->';
  const end = '<!-- results:end -->';
  const updated = readme.replace(
    new RegExp(`${begin}[\\s\\S]*${end}`),
    `${begin}\n${context}\n\n${table}\n${notes.length > 0 ? `\n${notes.map((note) => `- ${note}`).join('\n')}\n` : ''}${end}`,
  );
  await writeFile(path, updated);
  log('bench/README.md updated');
}
process.exit(0);
