/**
 * Timeouts and aborts of every provider, with the real SDK through createClient, against servers
 * that never finish an answer: one that accepts the connection and never answers, one that sends
 * `200` headers and stalls in the middle of a JSON body, and (where the SDK streams) one that
 * stalls in the middle of an event stream; and a caller's AbortSignal where the SDK takes one.
 * Each call settles within the timeout plus some slack, with a typed error (the class each
 * provider gets is in docs/errors.md), that prints without throwing and without the key, and
 * keycard closes the connection. A child process per provider checks that nothing (no timer, no
 * socket) keeps the process alive afterwards.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupportedProvider } from '../../src/providers/registry.js';
import { type StallMode, type StallServer, startStallServer } from '../helpers/stall-server.js';
import {
  type CallKind,
  modesOf,
  PROVIDERS,
  reportError,
  STALL_TIMEOUT_MS,
  stallCall,
  stallClient,
  stallKey,
} from '../helpers/stall-server-calls.js';

/** Generous: the machine running the tests may be busy. No claim about speed is made here. */
const SLACK_MS = 2_500;

/** The error each provider's call ends with: the SDK's own class, or a standard name. */
type Expected = { className: string; name?: string };
const TIMEOUT_OF_STREAM: Expected = { className: 'DOMException', name: 'TimeoutError' };
const STAINLESS: Record<string, Expected> = {
  'call:silent': { className: 'APIConnectionTimeoutError' },
  'call:json': { className: 'APIConnectionTimeoutError' },
  'stream:sse': TIMEOUT_OF_STREAM,
  'abort:silent': { className: 'APIUserAbortError' },
  'abort:json': { className: 'APIUserAbortError' },
};
const EXPECTED: Record<SupportedProvider, Record<string, Expected>> = {
  openai: STAINLESS,
  anthropic: STAINLESS,
  xai: STAINLESS,
  groq: STAINLESS,
  openrouter: STAINLESS,
  deepseek: STAINLESS,
  together: STAINLESS,
  mistral: STAINLESS,
  gemini: {
    'call:silent': { className: 'GoogleGenerativeAIAbortError' },
    'call:json': { className: 'GoogleGenerativeAIAbortError' },
    'stream:sse': { className: 'GoogleGenerativeAIError' },
    'abort:silent': { className: 'GoogleGenerativeAIAbortError' },
    'abort:json': { className: 'DOMException', name: 'AbortError' },
  },
  // The SDK's own timeout (httpOptions.timeout) aborts the fetch, body and stream included; it
  // starts before keycard's stream-silence timer, so it ends a stalled stream first.
  'google-genai': {
    'call:silent': { className: 'DOMException', name: 'AbortError' },
    'call:json': { className: 'DOMException', name: 'AbortError' },
    'stream:sse': { className: 'DOMException', name: 'AbortError' },
    'abort:silent': { className: 'DOMException', name: 'AbortError' },
    'abort:json': { className: 'DOMException', name: 'AbortError' },
  },
  slack: {
    'call:silent': { className: 'WebAPIRequestError' },
    'call:json': { className: 'WebAPIRequestError' },
  },
  // @discordjs/rest aborts its own request at `timeout`: the fetch's AbortError, as for a caller's.
  discord: {
    'call:silent': { className: 'DOMException', name: 'AbortError' },
    'call:json': { className: 'DOMException', name: 'AbortError' },
    'abort:silent': { className: 'DOMException', name: 'AbortError' },
    'abort:json': { className: 'DOMException', name: 'AbortError' },
  },
  telegram: {
    'call:silent': { className: 'Error', name: 'TimeoutError' },
    'call:json': { className: 'Error', name: 'TimeoutError' },
    'abort:silent': { className: 'AbortError', name: 'AbortError' },
    'abort:json': { className: 'AbortError', name: 'AbortError' },
  },
};

const SERVED: Record<StallMode, string> = {
  silent: 'accepts the connection and never answers',
  json: 'sends 200 headers and stalls mid-body',
  sse: 'sends 200 headers and stalls mid-event',
};

const servers = {} as Record<StallMode, StallServer>;

beforeAll(async () => {
  for (const mode of ['silent', 'json', 'sse'] as const) servers[mode] = await startStallServer(mode);
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server.close()));
});

describe.each(PROVIDERS)('%s', (provider) => {
  for (const kind of ['call', 'stream', 'abort'] as CallKind[]) {
    for (const mode of modesOf(provider, kind)) {
      const what =
        kind === 'abort' ? `a caller's abort, the server ${SERVED[mode].replace(/^\w+s /, '')}` : '';
      it(
        kind === 'abort' ? `ends at ${what}` : `ends a ${kind} when the server ${SERVED[mode]}`,
        async () => {
          const server = servers[mode];
          const client = await stallClient(provider, server.url);
          const controller = new AbortController();
          const asked = server.nextRequest();
          const started = Date.now();
          const pending = stallCall(
            provider,
            client,
            kind,
            kind === 'abort' ? controller.signal : undefined,
          ).then(
            () => undefined,
            (error: unknown) => ({ error }),
          );
          if (kind === 'abort') {
            await asked;
            await new Promise((resolve) => setTimeout(resolve, 50));
            controller.abort();
          }
          const outcome = await pending;
          const elapsed = Date.now() - started;
          await client.close();
          expect(outcome, 'the call resolved').toBeDefined();
          expect(elapsed).toBeLessThan(STALL_TIMEOUT_MS + SLACK_MS);
          const report = reportError(outcome?.error);
          expect(report.threw).toBeUndefined();
          const expected = EXPECTED[provider][`${kind}:${mode}`];
          expect({ className: report.className, name: report.name }).toMatchObject(expected ?? {});
          expect(report.printed).not.toContain(stallKey(provider));
          expect(report.printed).not.toContain(stallKey(provider).slice(-16));
          // keycard (or the SDK) closed the connection: nothing is left waiting on the server.
          await server.drained(SLACK_MS);
        },
      );
    }
  }
});

describe('the timeout of an event stream', () => {
  it('is the longest silence, not the stream’s whole length', async () => {
    const chunk = (index: number) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-slow',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, delta: { content: `part ${index} ` }, finish_reason: null }],
      })}\n\n`;
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const timer = setInterval(() => {
        if (sent < 6) {
          response.write(chunk(sent));
          sent += 1;
          return;
        }
        clearInterval(timer);
        response.end('data: [DONE]\n\n');
      }, STALL_TIMEOUT_MS / 3);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = await stallClient('openai', `http://127.0.0.1:${port}`);
    try {
      const started = Date.now();
      const stream = await client.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      const parts: string[] = [];
      for await (const part of stream) parts.push(part.choices[0]?.delta.content ?? '');
      expect(parts.join('')).toBe('part 0 part 1 part 2 part 3 part 4 part 5 ');
      // Longer in all than the timeout: each silence was shorter.
      expect(Date.now() - started).toBeGreaterThan(STALL_TIMEOUT_MS);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

interface ChildLine {
  provider?: SupportedProvider;
  kind?: CallKind;
  mode?: StallMode;
  settled?: 'resolved' | 'rejected';
  className?: string;
  threw?: string;
  ms?: number;
  done?: boolean;
  active?: string[];
}

/** Runs the child; resolves with its lines and how long it lived after `done`. */
function runChild(): Promise<{ lines: ChildLine[]; exitAfterDoneMs: number; code: number | null }> {
  const script = join(import.meta.dirname, '../helpers/stall-server-child.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, servers.silent.url, servers.json.url, servers.sse.url],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const lines: ChildLine[] = [];
  let doneAt: number | undefined;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as ChildLine;
    if (line.done === true) doneAt = Date.now();
    lines.push(line);
  });
  return new Promise((resolve, reject) => {
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the child is still alive; done: ${doneAt !== undefined}; last line: ${JSON.stringify(lines.at(-1))}; stderr: ${stderr.slice(-1500)}`,
        ),
      );
    }, 80_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ lines, code, exitAfterDoneMs: doneAt === undefined ? Number.NaN : Date.now() - doneAt });
    });
  });
}

describe('nothing stays open after a timeout or an abort', () => {
  it('a process that made every stalled call exits on its own at once', { timeout: 90_000 }, async () => {
    const { lines, exitAfterDoneMs, code } = await runChild();
    const calls = lines.filter((line) => line.done !== true);
    expect(new Set(calls.map((line) => line.provider))).toEqual(new Set(PROVIDERS));
    for (const line of calls) {
      const label = `${line.provider} ${line.kind} ${line.mode}`;
      expect(line, label).toMatchObject({ settled: 'rejected' });
      expect(line.threw, label).toBeUndefined();
      expect(line.ms ?? Number.POSITIVE_INFINITY, label).toBeLessThan(STALL_TIMEOUT_MS + SLACK_MS);
    }
    expect(code).toBe(0);
    // A timer or a socket left behind would keep the process alive (telegraf's was 500 s).
    expect(exitAfterDoneMs, 'the child lived on after its calls').toBeLessThan(2_000);
  });
});
