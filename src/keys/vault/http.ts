/**
 * The HTTP requests a Vault source makes: `node:http`/`node:https` (so that a custom CA applies
 * to these requests only), a timeout, a size limit, and plain HTTP only to loopback.
 * @module
 */

/** Vault answers larger than this are refused: a secret is small. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface VaultHttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
  ca?: string | Buffer | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface VaultHttpResponse {
  status: number;
  text: string;
}

/** Why a request got no answer: `timeout`, or a network error code such as `ECONNREFUSED`. */
export class VaultTransportError extends Error {
  constructor(
    readonly code: string,
    options: { cause?: unknown } = {},
  ) {
    super(code === 'timeout' ? 'no answer in time' : code, options);
    this.name = 'VaultTransportError';
  }
}

/** Whether `hostname` is this machine: `localhost`, `127.0.0.0/8` or `::1`. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * One request; resolves with the status and body text, rejects with a `VaultTransportError`.
 * `node:https` is loaded on first use: `import 'keycard'` stays cheap.
 */
export async function vaultRequest(options: VaultHttpRequest): Promise<VaultHttpResponse> {
  const send =
    options.url.protocol === 'https:'
      ? (await import('node:https')).request
      : (await import('node:http')).request;
  return sendRequest(send, options);
}

type RequestFunction = typeof import('node:http')['request'];

function sendRequest(send: RequestFunction, options: VaultHttpRequest): Promise<VaultHttpResponse> {
  const { url, method, headers, body, ca, timeoutMs, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const outgoing: Record<string, string> = { ...headers };
    if (body !== undefined) {
      outgoing['content-type'] = 'application/json';
      outgoing['content-length'] = String(Buffer.byteLength(body));
    }
    const request = send(url, {
      method,
      headers: outgoing,
      ...(ca === undefined ? {} : { ca }),
      // No connection reuse: a key read is rare, and an idle socket would keep the process alive.
      agent: false,
    });
    let settled = false;
    const finish = (error: unknown, response?: VaultHttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (response !== undefined) resolve(response);
      else reject(error);
    };
    const timer = setTimeout(() => {
      finish(new VaultTransportError('timeout'));
      request.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish(signal?.reason);
      request.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => {
      finish(new VaultTransportError(error.code ?? 'network error', { cause: error }));
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(new VaultTransportError('response too large'));
          request.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', (error: NodeJS.ErrnoException) => {
        finish(new VaultTransportError(error.code ?? 'network error', { cause: error }));
      });
      response.on('end', () => {
        finish(undefined, { status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(body);
  });
}
