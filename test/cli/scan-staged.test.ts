/**
 * `keycard scan --staged` reads every staged file through one `git cat-file --batch`: the staged
 * version (not the working tree's), many files, names with spaces or a line break, binaries and
 * files over 8 MiB (counted, never held whole), in the order git lists them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const run = promisify(execFile);

describe('keycard scan --staged', () => {
  it('scans the staged version of every staged file from one git process', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'keycard-scan-staged-'));
    const git = (...args: string[]) => run('git', args, { cwd: repo });
    await git('init', '-q');
    const keys: string[] = [];
    for (let index = 0; index < 300; index += 1) {
      const key = index % 50 === 7 ? testKey('openai', `staged-${index}`) : undefined;
      if (key !== undefined) keys.push(key);
      await writeFile(
        join(repo, `file ${index}.ts`),
        `export const value${index} = ${key === undefined ? index : `'${key}'`};\n`,
      );
    }
    const odd = testKey('anthropic', 'staged-newline');
    await writeFile(join(repo, 'line\nbreak.ts'), `const key = '${odd}';\n`);
    await writeFile(join(repo, 'image.bin'), Buffer.from([0, 1, 2, 0, 3, 4]));
    // Over 8 MiB, with a key at its start: counted as large, not scanned.
    const large = testKey('slack', 'staged-large');
    await writeFile(join(repo, 'large.txt'), `${large}\n${'x'.repeat(9 * 1024 * 1024)}\n`);
    await git('add', '-A');
    // The working tree changes after staging: the staged version is what counts.
    const unstaged = testKey('gemini', 'staged-not');
    await writeFile(join(repo, 'file 1.ts'), `export const later = '${unstaged}';\n`);

    const result = await keycard(['scan', '--staged', '--format', 'json'], { cwd: repo });
    expect(result.code).toBe(1);
    const findings = JSON.parse(result.stdout) as Array<{ file: string; line: number; provider: string }>;
    expect(findings.map(({ file }) => file).sort()).toEqual(
      [
        'file 107.ts',
        'file 157.ts',
        'file 207.ts',
        'file 257.ts',
        'file 57.ts',
        'file 7.ts',
        'line\nbreak.ts',
      ].sort(),
    );
    for (const key of [...keys, odd, large, unstaged])
      expect(result.stdout + result.stderr).not.toContain(key);
    const table = await keycard(['scan', '--staged'], { cwd: repo });
    expect(table.stdout).toMatch(/in 301 staged file\(s\) .*skipped 1 binary, 1 over 8 MiB/);
  });

  it('says nothing is staged in a repository without staged changes, and exits 0', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'keycard-scan-staged-none-'));
    await run('git', ['init', '-q'], { cwd: repo });
    const result = await keycard(['scan', '--staged'], { cwd: repo });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No keys found in 0 staged file(s)');
  });
});
