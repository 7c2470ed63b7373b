/**
 * git for `keycard scan`: a whole answer (`gitOutput`) or a stream read as git writes it
 * (`gitStream`), and one error, `GitError`, whose message is git's own first line of error or
 * why git could not run.
 * @module
 */
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Git failed: `message` is git's own first line of error, or why git could not run. */
export class GitError extends Error {
  override name = 'GitError' as const;
}

const NO_GIT = 'git is not installed or not on PATH';

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
}

/** Runs git and returns what it wrote; its own error (one line) on failure, or that git is missing. */
export async function gitOutput(args: readonly string[], options: { maxBuffer: number }): Promise<string> {
  try {
    const { stdout } = await run('git', [...args], options);
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string | Buffer };
    if (failure.code === 'ENOENT') throw new GitError(NO_GIT);
    throw new GitError(
      firstLine(String(failure.stderr ?? '')) ??
        (error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)),
    );
  }
}

/** A git process read as it writes. */
export interface GitStream {
  stdout: Readable;
  /** Resolves when git exits 0; else a `GitError` with git's first line of error. */
  done(): Promise<void>;
  /** Stops git (the reader gave up). */
  kill(): void;
}

/** Starts `git …args` in `cwd`, with `input` (if any) on its standard input. */
export function gitStream(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): GitStream {
  const child = spawn('git', [...args], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  // git stops reading if it fails; its exit code says why, not this pipe.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  // Awaited by done(); until then a failure to start (no git) is not an unhandled rejection.
  exited.catch(() => undefined);
  return {
    stdout: child.stdout,
    async done() {
      const code = await exited.catch((error: NodeJS.ErrnoException) => {
        throw new GitError(error.code === 'ENOENT' ? NO_GIT : error.message);
      });
      if (code !== 0) throw new GitError(firstLine(stderr) ?? `git ${args[0] ?? ''} exited with ${code}`);
    },
    kill() {
      child.kill();
    },
  };
}

/** Reading `stream` failed: git is stopped, and the error is a `GitError`. */
export function gitFailure(stream: GitStream, error: unknown): GitError {
  stream.kill();
  if (error instanceof GitError) return error;
  const failure = error as NodeJS.ErrnoException;
  return new GitError(failure.code === 'ENOENT' ? NO_GIT : (failure.message ?? String(error)));
}
