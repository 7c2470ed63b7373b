/**
 * `keycard scan` on every core finds exactly what it finds on one: files cut into chunks that
 * worker threads and the main thread share (findings in the list's order, keys for `--verify`
 * handed back), and `--git` read from one `git log` stream per core over runs of consecutive
 * commits. A worker that cannot start leaves its chunks to the main thread.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, newScanStats, scanRange } from '../../src/cli/scan.js';
import { scanHistory } from '../../src/cli/scan-history.js';
import { scanInParallel, setScanWorker } from '../../src/cli/scan-parallel.js';
import { keycard } from '../helpers/cli.js';
import { generateCorpus } from '../helpers/corpus.js';
import { generateHistory } from '../helpers/git-history.js';
import { seededRandom, testKey } from '../helpers/keys.js';

const run = promisify(execFile);

/** A tree of `count` small files cut from the generated corpus (keys of every shape in some). */
async function tree(count: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keycard-scan-parallel-'));
  const { text } = generateCorpus({ seed: 23, bytes: 2 * 1024 * 1024, perShape: 4 });
  const lines = text.split('\n');
  const random = seededRandom(23);
  let at = 0;
  for (let index = 0; index < count; index += 1) {
    const take = 1 + Math.floor(random() * 20);
    const folder = join(dir, `d${index % 40}`);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `f${index}.ts`), lines.slice(at, at + take).join('\n'));
    at = (at + take) % Math.max(1, lines.length - 40);
  }
  return dir;
}

describe('keycard scan on every core', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tree(2600);
  });

  it('files: the same findings, in the same order, on one thread and on four', async () => {
    const one = await keycard(['scan', '--format', 'json', dir], { env: { KEYCARD_SCAN_THREADS: '1' } });
    const four = await keycard(['scan', '--format', 'json', dir], { env: { KEYCARD_SCAN_THREADS: '4' } });
    expect(one.code).toBe(1);
    expect(four.code).toBe(1);
    const found = JSON.parse(one.stdout) as unknown[];
    expect(found.length).toBeGreaterThan(20);
    expect(four.stdout).toBe(one.stdout);
    // The summary counts every file, whichever thread read it.
    const summary = async (threads: string) =>
      (await keycard(['scan', dir], { env: { KEYCARD_SCAN_THREADS: threads } })).stdout.split('\n').at(-2);
    expect(await summary('3')).toBe(await summary('1'));
  });

  it('--verify gets the keys the workers found (each is sent, none is "not verified")', async () => {
    // Every provider's keys go to a closed port: each verification fails on the network, which
    // it can only do for a key it holds.
    const closed = 'http://127.0.0.1:9';
    const env: Record<string, string> = { KEYCARD_SCAN_THREADS: '2' };
    for (const name of [
      'OPENAI',
      'ANTHROPIC',
      'GEMINI',
      'XAI',
      'GROQ',
      'OPENROUTER',
      'TOGETHER',
      'SLACK',
      'TELEGRAM',
      'DISCORD',
      'MISTRAL',
    ])
      env[`${name}_BASE_URL`] = closed;
    const result = await keycard(['scan', '--verify', '--verify-timeout', '2000', '--format', 'json', dir], {
      env,
      timeoutMs: 120_000,
    });
    const reports = JSON.parse(result.stdout) as Array<{ verification: { status: string; reason?: string } }>;
    expect(reports.length).toBeGreaterThan(20);
    expect(reports.filter((report) => report.verification.reason === 'not verified')).toEqual([]);
  });

  it('a worker that cannot start leaves its chunks to this thread', async () => {
    const files = await listFiles([dir]);
    const expected = scanRange(files, 0, files.length, newScanStats(), process.cwd());
    setScanWorker(new URL('file:///nonexistent/keycard-scan-worker.js'));
    const stats = newScanStats();
    const found = await scanInParallel(files, 3, stats, (start, end, chunkStats) =>
      scanRange(files, start, end, chunkStats, process.cwd()),
    );
    expect(found).toEqual(expected);
    expect(stats.files).toBe(files.length);
  });
});

describe('keycard scan --git on every core', () => {
  const previous = process.env['KEYCARD_SCAN_THREADS'];
  afterEach(() => {
    if (previous === undefined) delete process.env['KEYCARD_SCAN_THREADS'];
    else process.env['KEYCARD_SCAN_THREADS'] = previous;
  });

  it('finds the same keys at the same commits, files and lines from one stream per core', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'keycard-scan-parallel-git-'));
    await run('git', ['init', '-q'], { cwd: repo });
    const kinds = ['openai', 'anthropic', 'slack', 'telegram'] as const;
    const { planted } = await generateHistory(repo, {
      commits: 1600,
      keyEvery: 40,
      makeKey: (index) => testKey(kinds[index % kinds.length] ?? 'openai', `parallel-${index}`),
    });
    process.env['KEYCARD_SCAN_THREADS'] = '1';
    const oneStats = newScanStats();
    const one = await scanHistory(oneStats, { cwd: repo });
    process.env['KEYCARD_SCAN_THREADS'] = '3';
    const threeStats = newScanStats();
    let progress = 0;
    const three = await scanHistory(threeStats, { cwd: repo, progress: (done) => (progress = done) });
    expect(one.length).toBe(planted.length);
    expect(three).toEqual(one);
    expect(threeStats.files).toBe(oneStats.files);
    expect(threeStats.bytes).toBe(oneStats.bytes);
    expect(progress).toBe(1600);
  });
});
