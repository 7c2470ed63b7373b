/**
 * Every error of the `keycard` command is one line with its cause, no stack, a non-zero exit
 * code, no password from a URL, and hints that name what a person at the command line can do
 * (not a JavaScript option).
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeError, hideUrlPasswords } from '../../src/cli/output.js';
import { keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A "database" that accepts each connection and drops it at once: a server going down. */
async function droppingServer(): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0] ?? '';
}

describe('keycard usage with a ledger that cannot be reached', () => {
  it('prints one line naming ECONNREFUSED, without the password', async () => {
    const port = await closedPort();
    const result = await keycard([
      'usage',
      '--ledger',
      `postgres://postgres:s3cretpass@127.0.0.1:${port}/test`,
    ]);
    expect(result.code).toBe(1);
    const line = expectOneLine(result.stderr);
    expect(line).toMatch(
      /^keycard usage: (cannot open )?the (PostgreSQL )?ledger (at )?postgres:\/\/postgres(:\*\*\*)?@127\.0\.0\.1:/,
    );
    expect(line).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(result.stderr + result.stdout).not.toContain('s3cretpass');
  });

  it('prints one line when the server drops the connection', async () => {
    const port = await droppingServer();
    const result = await keycard([
      'usage',
      '--json',
      '--ledger',
      `postgres://postgres@127.0.0.1:${port}/test`,
    ]);
    expect(result.code).toBe(1);
    const line = expectOneLine(result.stderr);
    expect(line).toMatch(
      /^keycard usage: (cannot open )?the (PostgreSQL )?ledger (at )?postgres:\/\/postgres@127\.0\.0\.1:\d+\/test\b.*: \S/,
    );
    expect(line).toMatch(/terminated|ECONNRESET|closed/i);
  });
});

describe('hints at the command line', () => {
  it('name chmod, not the allowInsecure option, for a key file others can read', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'keycard-cli-errors-'));
    const file = join(directory, 'openai.key');
    await writeFile(file, testKey('openai', 'cli-insecure'));
    await chmod(file, 0o644);
    const result = await keycard(['check', 'openai', `file:${file}`, '--offline']);
    expect(result.code).toBe(1);
    const printed = result.stdout + result.stderr;
    expect(printed).toContain('insecure_source');
    expect(printed).toContain('chmod 600');
    expect(printed).not.toContain('allowInsecure');
    expect(printed).not.toContain('{ ');
  });
});

describe('describeError', () => {
  it('joins the causes and a system error code on one line', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = new Error('cannot open the ledger\nat all', { cause });
    expect(describeError(error)).toBe('cannot open the ledger at all: connect ECONNREFUSED 127.0.0.1:1');
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(describeError(reset)).toBe('socket hang up (ECONNRESET)');
    const both = new AggregateError([cause, new Error('connect ECONNREFUSED ::1:1')], '');
    expect(describeError(both)).toBe('connect ECONNREFUSED 127.0.0.1:1; connect ECONNREFUSED ::1:1');
    expect(describeError('plain')).toBe('plain');
  });

  it('hides passwords in URLs', () => {
    expect(hideUrlPasswords('postgres://app:pw@db:5432/x and redis://:pw2@cache')).toBe(
      'postgres://app:***@db:5432/x and redis://:***@cache',
    );
    expect(hideUrlPasswords('postgres://app@db/x https://example.com:8443/a')).toBe(
      'postgres://app@db/x https://example.com:8443/a',
    );
  });
});
