/**
 * For alert tests: a local webhook receiver over real HTTP (it records each POST and answers
 * what the test queued: a status, a delay), and a recording proxy in front of the simulator, so
 * that a test sees the text of the Slack and Telegram messages (the simulator's log keeps no
 * bodies).
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The next answers, in order: a status, and a delay before it. After them: 204. */
  answers: Array<{ status: number; delayMs?: number }>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** A webhook receiver at `http://127.0.0.1:PORT/…`. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers: Receiver['answers'] = [];
  const server = createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const answer = answers.shift() ?? { status: 204 };
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    received.push({ path: req.url ?? '', headers: req.headers, body });
    res.writeHead(answer.status).end(answer.status >= 400 ? 'no' : '');
  });
  const url = await listen(server);
  return { url, received, answers, close: () => closeServer(server) };
}

export interface RecordingProxy {
  url: string;
  /** Bodies of the requests whose path ends with `suffix` (`/chat.postMessage`, `/sendMessage`). */
  bodies(suffix: string): string[];
  close(): Promise<void>;
}

/** A proxy to `target` (`http://127.0.0.1:PORT`) that keeps every request body. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const seen: Array<{ path: string; body: string }> = [];
  const to = new URL(target);
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ path: req.url ?? '', body: body.toString('utf8') });
    const forward = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    forward.end(body);
  });
  const url = await listen(server);
  return {
    url,
    bodies: (suffix) =>
      seen.filter((item) => item.path.split('?')[0]?.endsWith(suffix)).map((item) => item.body),
    close: () => closeServer(server),
  };
}
