/**
 * The provider simulator: a real HTTP server on 127.0.0.1 that speaks each provider's wire format,
 * so tests, demos and benchmarks can run the official SDKs over real HTTP without a network or a
 * real key. Each provider lives under its own path prefix (`/openai/v1/…`), served by one
 * {@link ProviderSimulator} (one file each); this module holds what they share: the accepted
 * keys, the fault queue, the tally of what was served and the request log.
 *
 * @example
 * const sim = await startSimulator({ keys: [key] });
 * const client = new OpenAI({ apiKey: key, baseURL: sim.baseURL('openai') });
 * await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
 * sim.tally().total.inputTokens; // what the simulator served
 * await sim.close();
 * @module
 */
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderId } from '../providers/ids.js';
import { fingerprintKey, maskKey } from '../secret.js';
import { PROVIDER_SIMULATORS } from './providers.js';
import { countRequest, type TallyRows, tallyOf } from './tally.js';
import type {
  FailNextOptions,
  SimulatedRequest,
  SimulatedResponse,
  Simulator,
  SimulatorContext,
  SimulatorFault,
  SimulatorOptions,
  SimulatorRequest,
  SimulatorTally,
} from './types.js';

export type {
  FailNextOptions,
  HttpFault,
  ProviderSimulator,
  SimulatedRequest,
  SimulatedResponse,
  SimulatedUsage,
  Simulator,
  SimulatorContext,
  SimulatorCounts,
  SimulatorFault,
  SimulatorOptions,
  SimulatorRequest,
  SimulatorTally,
  SimulatorTallyRow,
} from './types.js';

// ---------------------------------------------------------------------------------------------

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const SENSITIVE_HEADER = /authorization|cookie|api-key|apikey|token|secret|password|(^|-)key($|-)/;

interface QueuedFault {
  readonly fault: SimulatorFault;
  readonly provider: ProviderId | undefined;
  readonly key: string | undefined;
  readonly model: string | undefined;
  remaining: number;
}

function parseJson(text: string): { json: unknown; invalid: boolean } {
  if (text.trim() === '') return { json: undefined, invalid: false };
  try {
    return { json: JSON.parse(text) as unknown, invalid: false };
  } catch {
    return { json: undefined, invalid: true };
  }
}

/** `text` with every occurrence of `key` (plain or URL-encoded) replaced by its masked id. */
function maskIn(text: string, key: string | undefined, masked: string): string {
  if (key === undefined || key === '') return text;
  let out = text.split(key).join(masked);
  const encoded = encodeURIComponent(key);
  if (encoded !== key) out = out.split(encoded).join(masked);
  return out;
}

function safeHeaders(
  headers: IncomingHttpHeaders,
  key: string | undefined,
  masked: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = SENSITIVE_HEADER.test(name) ? '[redacted]' : maskIn(text, key, masked);
  }
  return out;
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Starts a simulator on 127.0.0.1 and resolves once it listens.
 * @example
 * const sim = await startSimulator({ keys: [fakeKey('openai')] });
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const accepted = new Set(options.keys ?? []);
  const latencyMs = Math.max(0, options.latencyMs ?? 0);
  const maxLogged = Math.max(0, options.maxLoggedRequests ?? 10_000);
  const served = options.providers === undefined ? undefined : new Set<string>(options.providers);
  const providers = new Map(
    PROVIDER_SIMULATORS.filter((provider) => served === undefined || served.has(provider.id)).map(
      (provider) => [provider.id as string, provider],
    ),
  );
  const faults: QueuedFault[] = [];
  const closing = new AbortController();
  // Every delayed answer listens on it: many requests in flight are not a leak.
  setMaxListeners(0, closing.signal);
  let log: SimulatedRequest[] = [];
  let rows: TallyRows = new Map();
  let counter = 0;

  function takeFault(
    provider: ProviderId,
    key: string | undefined,
    model: string | null,
  ): SimulatorFault | undefined {
    const index = faults.findIndex(
      (entry) =>
        (entry.provider === undefined || entry.provider === provider) &&
        (entry.key === undefined || entry.key === key) &&
        (entry.model === undefined || entry.model === model),
    );
    const entry = faults[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  function record(entry: SimulatedRequest): void {
    log.push(entry);
    if (log.length > maxLogged) log.splice(0, log.length - maxLogged);
    countRequest(rows, entry);
  }

  function write(res: ServerResponse, headers: Record<string, string>, response: SimulatedResponse): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(response.status, { ...headers, ...response.headers });
    if (response.events === undefined) {
      res.end(response.body ?? '');
      return;
    }
    for (const event of response.events) res.write(event);
    res.end();
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counter += 1;
    const requestId = `req_${counter.toString(16).padStart(32, '0')}`;
    const time = new Date();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = req.url ?? '/';
    const bodyText = await readBody(req);
    const url = new URL(rawPath, 'http://127.0.0.1');
    const [, prefix = '', ...rest] = url.pathname.split('/');
    const provider = providers.get(prefix);

    if (provider === undefined || bodyText === undefined) {
      const status = bodyText === undefined ? 413 : 404;
      const message =
        status === 413
          ? 'keycard simulator: request body too large'
          : `keycard simulator: no simulated provider at ${url.pathname}`;
      record({
        id: requestId,
        time,
        provider: provider?.id ?? null,
        method,
        path: url.pathname,
        status,
        fault: null,
        keyFingerprint: null,
        keyMaskedId: null,
        keyAccepted: false,
        model: null,
        stream: false,
        usage: null,
        headers: {},
      });
      write(
        res,
        { 'content-type': 'application/json' },
        { status, body: JSON.stringify({ error: { message } }) },
      );
      return;
    }

    const { json, invalid } = parseJson(bodyText);
    const request: SimulatorRequest = {
      method,
      path: `/${rest.join('/')}`,
      query: url.searchParams,
      headers: req.headers,
      bodyText,
      json,
      jsonInvalid: invalid,
    };
    const key = provider.credential(request);
    const maskedId = key === undefined ? '' : maskKey(key);
    const context: SimulatorContext = {
      requestId,
      key: key === undefined ? null : { maskedId, fingerprint: fingerprintKey(key) },
      model: provider.modelOf(request),
    };
    const keyAccepted = key !== undefined && accepted.has(key);
    const base = {
      id: requestId,
      time,
      provider: provider.id,
      method,
      path: maskIn(rawPath, key, maskedId),
      keyFingerprint: context.key?.fingerprint ?? null,
      keyMaskedId: context.key?.maskedId ?? null,
      keyAccepted,
      model: context.model,
      headers: safeHeaders(req.headers, key, maskedId),
    };

    if (latencyMs > 0) {
      try {
        await sleep(latencyMs, undefined, { signal: closing.signal });
      } catch {
        return; // closing
      }
    }

    const fault = takeFault(provider.id, key, context.model);
    if (fault === 'reset' || fault === 'hang') {
      record({ ...base, status: null, fault, stream: false, usage: null });
      // `hang` leaves the response open: the client times out, or close() ends the connection.
      if (fault === 'reset') req.socket.destroy();
      return;
    }
    let response: SimulatedResponse;
    if (fault !== undefined) response = provider.fail(fault, request, context);
    else if (!keyAccepted) response = provider.fail('unauthorized', request, context);
    else response = await provider.handle(request, context);

    record({
      ...base,
      status: response.status,
      fault: fault ?? null,
      stream: response.events !== undefined,
      usage: response.status === 200 ? (response.usage ?? null) : null,
    });
    write(res, provider.commonHeaders(context), response);
  }

  const server = createServer((req, res) => {
    res.on('error', () => {});
    serve(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'keycard simulator: internal error' } }));
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    baseURL(id: ProviderId | 'google-genai'): string {
      // A client id of another SDK serves from its provider's simulator.
      const provider = providers.get(id === 'google-genai' ? 'gemini' : id);
      if (provider === undefined) {
        throw new Error(`keycard simulator: provider '${id}' is not served (see the \`providers\` option)`);
      }
      return `${url}/${provider.id}${provider.apiPath}`;
    },
    addKey(key: string): void {
      accepted.add(key);
    },
    revokeKey(key: string): void {
      accepted.delete(key);
    },
    failNext(fault: SimulatorFault, failOptions: FailNextOptions = {}): () => void {
      const times = failOptions.times ?? 1;
      if (!(Number.isInteger(times) || times === Number.POSITIVE_INFINITY) || times < 1)
        throw new RangeError('failNext: times must be a positive integer, or Infinity');
      const entry: QueuedFault = {
        fault,
        provider: failOptions.provider,
        key: failOptions.key,
        model: failOptions.model,
        remaining: times,
      };
      faults.push(entry);
      return () => {
        const index = faults.indexOf(entry);
        if (index >= 0) faults.splice(index, 1);
      };
    },
    tally(): SimulatorTally {
      return tallyOf(rows);
    },
    get requests(): readonly SimulatedRequest[] {
      return log.slice();
    },
    reset(): void {
      log = [];
      rows = new Map();
      faults.length = 0;
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
