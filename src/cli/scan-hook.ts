/**
 * `keycard scan --install-hook`: a git pre-commit hook that runs `keycard scan --staged`, written
 * executable (git ignores a hook without the execute bit, silently), where git looks for hooks
 * (`core.hooksPath` honoured), and never over an existing hook unless asked.
 * @module
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The line that tells keycard's hook from another: a hook that has it is replaced freely. */
const MARK = '# Installed by `keycard scan --install-hook`';

/** The hook: keycard from the project's node_modules, else from PATH; no keycard, no commit. */
export const PRE_COMMIT_HOOK = `#!/bin/sh
${MARK}: refuses a commit whose staged changes hold a key.
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

/**
 * Writes the pre-commit hook of the repository at `cwd` where git runs it (`core.hooksPath` when
 * set, else the hooks of the repository's common git directory); returns its path. A hook that
 * is not keycard's is kept, unless `force`.
 */
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
  // keycard's own hook (an older one too) is replaced; another is kept unless asked.
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' ? undefined : '',
  );
  if (existing !== undefined && !existing.includes(MARK) && !force) {
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
