/**
 * Runs the built `keycard` command as a user would: a separate process, with its own environment.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../dist/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `keycard …args`; `input` goes to standard input (closed after it). */
export function keycard(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    input?: string;
    cwd?: string;
    timeoutMs?: number;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...process.env, NO_COLOR: '1', ...options.env })) {
      if (value !== undefined) env[name] = value;
    }
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: options.cwd ?? process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A clear key of any provider in `text`: a known prefix followed by eight key characters. A Mistral
 * key has no prefix: it is found only after its variable's name.
 */
export const CLEAR_KEY =
  /(?:sk-(?:proj|ant-api03|svcacct|admin)-|AIzaSy|xox[bp]-\d+-|xai-|gsk_|sk-or-v1-|tgp_v1_)[A-Za-z0-9_-]{8}|\d{8,10}:AA[A-Za-z0-9_-]{8}|MISTRAL_API_KEY["']?\s*[:=]\s*["']?[A-Za-z0-9]{8}|[MNO][A-Za-z0-9_-]{22,26}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{8}/;
