/**
 * The fast paths of `keycard scan` find exactly what the straightforward ones did: files are
 * matched only on the lines the byte scan picks (against `scanText` on the whole decoded text),
 * and `--git` reads one `git log -p` stream piece by piece (against the former parser, kept here,
 * on the whole output split into lines). The corpus is generated: keys of every shape, decoys,
 * non-ASCII text, CRLF lines, long minified lines, `keycard:allow` lines.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Finding, scanBytes, scanText } from '../../src/cli/scan.js';
import { scanHistory, scanPatchStream } from '../../src/cli/scan-history.js';
import { generateCorpus } from '../helpers/corpus.js';
import { generateHistory, type PlantedKey } from '../helpers/git-history.js';
import { seededRandom, testKey } from '../helpers/keys.js';

const run = promisify(execFile);

/** The corpus cut into "files" of various shapes. */
function files(): Buffer[] {
  const random = seededRandom(19);
  const { text } = generateCorpus({ seed: 19, bytes: 3 * 1024 * 1024, perShape: 6 });
  const lines = text.split('\n');
  const out: Buffer[] = [];
  for (let index = 0; index < lines.length; ) {
    const count = 1 + Math.floor(random() * 400);
    let part = lines.slice(index, index + count);
    index += count;
    const shape = random();
    if (shape < 0.15) part = part.map((line) => `${line}\r`);
    else if (shape < 0.3) part = part.map((line, at) => (at % 3 === 0 ? `é ✓ ${line} ü` : line));
    else if (shape < 0.4)
      part = [part.join(';')]; // one long "minified" line
    else if (shape < 0.45) part = part.map((line, at) => (at % 2 === 0 ? `${line} // keycard:allow` : line));
    out.push(Buffer.from(part.join('\n') + (random() < 0.5 ? '\n' : '')));
  }
  return out;
}

describe('keycard scan: the fast path finds what the whole-text scan finds', () => {
  it('files: same findings, same line numbers', () => {
    let total = 0;
    files().forEach((bytes, index) => {
      const name = `file-${index}`;
      const expected = scanText(bytes.toString('utf8'), name);
      total += expected.length;
      expect(scanBytes(bytes, () => name)).toEqual(expected);
    });
    // The corpus holds keys (some on allowed lines): the comparison is not of empty lists.
    expect(total).toBeGreaterThan(150);
  });
});

/** The former `--git` parser: the whole output split into lines, each added line scanned alone. */
function formerHistoryScan(stdout: string): Finding[] {
  const findings: Finding[] = [];
  let commit = '';
  let file = '';
  let line = 0;
  for (const text of stdout.split('\n')) {
    if (text.startsWith('commit ')) commit = text.slice(7, 19);
    else if (text.startsWith('+++ ')) file = text.startsWith('+++ b/') ? text.slice(6) : text.slice(4);
    else if (text.startsWith('@@')) line = Number(/\+(\d+)/.exec(text)?.[1] ?? 0);
    else if (text.startsWith('+')) {
      for (const finding of scanText(text.slice(1), file, commit)) findings.push({ ...finding, line });
      line += 1;
    }
  }
  return findings;
}

describe('keycard scan --git', () => {
  let repo: string;
  let planted: PlantedKey[];
  const kinds = ['openai', 'anthropic', 'slack', 'telegram', 'gemini', 'discord', 'xai', 'groq'] as const;

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'keycard-scan-history-'));
    await run('git', ['init', '-q'], { cwd: repo });
    ({ planted } = await generateHistory(repo, {
      commits: 3000,
      keyEvery: 60,
      makeKey: (index) => testKey(kinds[index % kinds.length] ?? 'openai', `history-${index}`),
    }));
  }, 60_000);

  it('finds every planted key with its commit, file and line, from one git log stream', async () => {
    const findings = await scanHistory(undefined, { cwd: repo });
    expect(planted).toHaveLength(50);
    const found = new Set(findings.map(({ commit, file, line }) => `${commit}:${file}:${line}`));
    for (const key of planted) expect(found).toContain(`${key.commit}:${key.file}:${key.line}`);
    expect(findings).toHaveLength(planted.length);
    // A path with a space (git adds a tab after it in the header) is named as it is.
    expect(findings.some(({ file }) => file === 'docs/notes with space.md')).toBe(true);
  }, 30_000);

  it('finds what the former whole-output parser found (paths with a space aside)', async () => {
    const { stdout } = await run(
      'git',
      ['log', '-p', '--all', '--no-color', '--unified=0', '--format=commit %H'],
      { cwd: repo, maxBuffer: 256 * 1024 * 1024 },
    );
    const former = formerHistoryScan(stdout).map((finding) => ({
      ...finding,
      // The former parser kept the tab git adds after a name with a space.
      file: finding.file.replace(/\t$/, ''),
    }));
    // Read in small pieces: lines and hunks cut across pieces.
    const pieces = Readable.from(
      Array.from({ length: Math.ceil(stdout.length / 7919) }, (_, index) =>
        Buffer.from(stdout.slice(index * 7919, (index + 1) * 7919)),
      ),
    );
    expect(await scanPatchStream(pieces)).toEqual(former);
  }, 30_000);

  it('counts hunk lines: an added line that starts with "++ " is content, not a file header', async () => {
    const key = testKey('openai', 'plus');
    const patch = [
      'commit 0123456789abcdef0123456789abcdef01234567',
      '',
      'diff --git a/a.md b/a.md',
      '--- a/a.md',
      '+++ b/a.md',
      '@@ -1,0 +2,2 @@',
      '+++ not a header',
      `+${key}`,
      '',
    ].join('\n');
    const findings = await scanPatchStream(Readable.from([Buffer.from(patch)]));
    expect(findings.map(({ file, line, commit }) => `${commit}:${file}:${line}`)).toEqual([
      '0123456789ab:a.md:3',
    ]);
  });
});
