/**
 * `keycard scan --install-hook` with real git: the hook goes where git runs hooks
 * (`core.hooksPath`, relative or absolute, from a subdirectory too), is executable, refuses a
 * commit holding a key and lets a clean one through; a hook that is not keycard's is kept.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const git = (cwd: string, ...args: string[]) =>
  promisify(execFile)('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd });

/** A repository with keycard installed as a project installs it (node_modules/.bin/keycard). */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keycard-hook-'));
  await git(dir, 'init', '-q');
  await mkdir(join(dir, 'node_modules', '.bin'), { recursive: true });
  const bin = join(dir, 'node_modules', '.bin', 'keycard');
  await writeFile(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  await chmod(bin, 0o755);
  await writeFile(join(dir, '.gitignore'), 'node_modules/\n');
  return dir;
}

describe('keycard scan --install-hook', () => {
  it('honours core.hooksPath (relative, from a subdirectory): the hook git runs refuses a key', async () => {
    const dir = await project();
    await git(dir, 'config', 'core.hooksPath', '.githooks');
    await mkdir(join(dir, 'src'));
    const installed = await keycard(['scan', '--install-hook'], { cwd: join(dir, 'src') });
    expect(installed.code).toBe(0);
    const hook = join(dir, '.githooks', 'pre-commit');
    expect(installed.stdout).toContain(hook);
    expect((await stat(hook)).mode & 0o777).toBe(0o755);
    await expect(stat(join(dir, '.git', 'hooks', 'pre-commit'))).rejects.toThrow();

    const key = testKey('slack', 'hooks-path');
    await writeFile(join(dir, 'src', 'bot.ts'), `export const token = '${key}';\n`);
    await git(dir, 'add', '.');
    const refused = await git(dir, 'commit', '-q', '-m', 'leak').catch((error: { code: number }) => error);
    expect((refused as { code?: number }).code).toBe(1);
    await writeFile(join(dir, 'src', 'bot.ts'), 'export const token = process.env.SLACK_BOT_TOKEN;\n');
    await git(dir, 'add', '.');
    await git(dir, 'commit', '-q', '-m', 'clean');
    expect((await git(dir, 'log', '--oneline')).stdout).toContain('clean');
  }, 60_000);

  it('honours an absolute core.hooksPath', async () => {
    const dir = await project();
    const hooks = await mkdtemp(join(tmpdir(), 'keycard-hooks-'));
    await git(dir, 'config', 'core.hooksPath', hooks);
    expect((await keycard(['scan', '--install-hook'], { cwd: dir })).code).toBe(0);
    expect(await readFile(join(hooks, 'pre-commit'), 'utf8')).toContain('keycard scan --staged');
  });

  it('keeps a hook that is not keycard’s (unless --force), and installs its own again', async () => {
    const dir = await project();
    const hook = join(dir, '.git', 'hooks', 'pre-commit');
    const foreign = '#!/bin/sh\nnpx lint-staged\n';
    await writeFile(hook, foreign, { mode: 0o755 });
    const refused = await keycard(['scan', '--install-hook'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists; add --force');
    expect(await readFile(hook, 'utf8')).toBe(foreign);

    expect((await keycard(['scan', '--install-hook', '--force'], { cwd: dir })).code).toBe(0);
    // keycard's own hook, made non-executable by someone, is written again as it should be.
    await chmod(hook, 0o644);
    expect((await keycard(['scan', '--install-hook'], { cwd: dir })).code).toBe(0);
    expect((await stat(hook)).mode & 0o777).toBe(0o755);
  });
});
