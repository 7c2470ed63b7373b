/**
 * `keycard scan --install-hook`: a git pre-commit hook that runs `keycard scan --staged`, written
 * executable (git ignores a hook without the execute bit, silently), where git looks for hooks
 * (`core.hooksPath` honoured), and never over an existing hook unless asked.
 * @module
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The hook: keycard from the project's node_modules, else from PATH; no keycard, no commit. */
export const PRE_COMMIT_HOOK = `#!/bin/sh
# Installed by \`keycard scan --install-hook\`: refuses a commit whose staged changes hold a key.
# Skip it once with \`git commit --no-verify\`.
if [ -x ./node_modules/.bin/keycard ]; then exec ./node_modules/.bin/keycard scan --staged; fi
if command -v keycard >/dev/null 2>&1; then exec keycard scan --staged; fi
echo "keycard pre-commit hook: keycard not found; install it (npm install --save-dev keycard) or commit with --no-verify" >&2
exit 1
`;

/** Why the hook was not written. */
export class HookError extends Error {
  override name = 'HookError' as const;
}

/** Writes the pre-commit hook of the repository at `cwd`; returns its path. */
export async function installPreCommitHook(cwd: string, force: boolean): Promise<string> {
  let hooks: string;
  try {
    const { stdout } = await run('git', ['rev-parse', '--git-path', 'hooks'], { cwd });
    hooks = resolve(cwd, stdout.trim());
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    const reason =
      failure.code === 'ENOENT'
        ? 'git is not installed or not on PATH'
        : (String(failure.stderr ?? '')
            .split('\n')
            .find((line) => line.trim() !== '') ?? 'git failed');
    throw new HookError(`git failed: ${reason.trim()}`);
  }
  const path = join(hooks, 'pre-commit');
  const existing = await stat(path).catch(() => undefined);
  if (existing !== undefined && !force) {
    throw new HookError(
      `${path} already exists; add --force to replace it, or add "keycard scan --staged" to it yourself.`,
    );
  }
  await mkdir(hooks, { recursive: true });
  await writeFile(path, PRE_COMMIT_HOOK, { mode: 0o755 });
  // The mode of writeFile applies only to a new file (and the umask narrows it).
  await chmod(path, 0o755);
  return path;
}
