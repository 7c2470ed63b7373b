/**
 * A Google Secret Manager server for tests and demos, written from the public REST reference (the
 * surface the official client's HTTP transport calls): secrets with numbered versions that can be
 * disabled and destroyed, `latest`, access checks per secret, service accounts whose self-signed
 * JWTs it verifies (as Google does for a service account key), Google's error envelope, faults on
 * demand, and a log of requests that never holds a token or a secret value.
 *
 * @example
 * const gcp = await startGcpSecretManagerSimulator();
 * gcp.put('my-project', 'openai-key', key);
 * const source = keys.gcpSecretManager('gcp-sm://my-project/openai-key', {
 *   endpoint: gcp.url,
 *   credentials: gcp.serviceAccount(),
 * });
 * @module
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A fault the simulator answers the next access with. */
export type GcpSecretManagerFault = 'throttled' | 'unavailable' | 'server_error' | 'garbage' | 'hang';

/** One request, as the simulator logs it: no token, no secret value. */
export interface GcpSecretManagerRequest {
  readonly method: string;
  /** The path, e.g. `/v1/projects/p/secrets/s/versions/latest:access`. */
  readonly path: string;
  /** The status answered; `null` for a request left hanging. */
  readonly status: number | null;
}

/** A running simulator. */
export interface GcpSecretManagerSimulator {
  /** `http://127.0.0.1:PORT`: the `endpoint` option of `keys.gcpSecretManager()`. */
  readonly url: string;
  /**
   * A service account key (the JSON key file's content) whose self-signed JWTs the simulator
   * accepts. Its private key is made when the simulator starts.
   */
  serviceAccount(email?: string): {
    type: 'service_account';
    client_email: string;
    private_key: string;
    project_id: string;
  };
  /** Adds a version holding `value` (a JSON object is stored as its JSON); returns its number. */
  put(project: string, secret: string, value: string | Record<string, unknown>): number;
  /** Disables a version (accessing it is then `FAILED_PRECONDITION`); `enable` undoes it. */
  disable(project: string, secret: string, version: number): void;
  enable(project: string, secret: string, version: number): void;
  /** Destroys a version's data for good. */
  destroy(project: string, secret: string, version: number): void;
  /** Refuses access to a secret (`PERMISSION_DENIED`); returns a function that allows it again. */
  deny(project: string, secret: string): () => void;
  /** Answers the next `times` accesses with `fault` (default once; `Infinity` until cleared). */
  failNext(fault: GcpSecretManagerFault, options?: { times?: number }): void;
  /** Drops the faults still queued. */
  clearFaults(): void;
  /** Every request so far, oldest first. */
  requests(): readonly GcpSecretManagerRequest[];
  /** How many `…:access` requests were answered (or left hanging). */
  accessCount(): number;
  /** Closes the server and every connection (requests left hanging included). */
  close(): Promise<void>;
}

interface Version {
  data: string | undefined;
  state: 'ENABLED' | 'DISABLED' | 'DESTROYED';
  createTime: Date;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'FAILED_PRECONDITION',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** What the simulator answers: a JSON body with a status, a cut body, or nothing (a hang). */
type Answer = { status: number; body: unknown } | { garbage: true } | 'hang';

function failure(status: number, message: string): Answer {
  return { status, body: { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } } };
}

/** Starts a Google Secret Manager simulator on 127.0.0.1. */
export async function startGcpSecretManagerSimulator(): Promise<GcpSecretManagerSimulator> {
  const secrets = new Map<string, Version[]>();
  const denied = new Set<string>();
  const accounts = new Map<string, KeyObject>();
  const faults: Array<{ fault: GcpSecretManagerFault; left: number }> = [];
  const log: GcpSecretManagerRequest[] = [];
  const sockets = new Set<Socket>();
  // Google names resources by project number in its answers, and takes the number or the id.
  const numbers = new Map<string, string>();
  const numberOf = (project: string) => {
    let number = numbers.get(project);
    if (number === undefined) {
      number = String(100_000_000_000 + numbers.size * 7_919 + Math.floor(Math.random() * 1e6));
      numbers.set(project, number);
    }
    return number;
  };
  const projectOf = (given: string) => [...numbers].find(([, number]) => number === given)?.[0] ?? given;
  let accesses = 0;

  const keyOf = (project: string, secret: string) => `${project}/${secret}`;

  /** Whether `authorization` is a JWT signed by a service account the simulator made, not expired. */
  function authenticated(authorization: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const parts = token?.split('.');
    if (parts?.length !== 3) return false;
    const [header = '', payload = '', signature = ''] = parts;
    let claims: { iss?: unknown; exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return false;
    }
    const key = typeof claims.iss === 'string' ? accounts.get(claims.iss) : undefined;
    if (key === undefined || typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return false;
    return verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      key,
      Buffer.from(signature, 'base64url'),
    );
  }

  function takeFault(): GcpSecretManagerFault | undefined {
    const next = faults[0];
    if (next === undefined) return undefined;
    next.left -= 1;
    if (next.left <= 0) faults.shift();
    return next.fault;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record = { method: req.method ?? 'GET', path: url.pathname, status: null as number | null };
    log.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const answer = answerFor(req, url);
    if (answer === 'hang') return;
    if ('garbage' in answer) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"name": "projects/');
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(answer.body));
  }

  function answerFor(req: IncomingMessage, url: URL): Answer {
    const match = /^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/:]+)(:access)?$/.exec(
      url.pathname,
    );
    if (req.method !== 'GET' || match === null) {
      return failure(404, `The requested URL ${url.pathname} was not found on this server.`);
    }
    const [, given = '', secret = '', wanted = '', access] = match;
    const project = projectOf(given);
    const projectNumber = numberOf(project);
    if (access !== undefined) {
      accesses += 1;
      const fault = takeFault();
      if (fault === 'hang') return 'hang';
      if (fault === 'garbage') return { garbage: true };
      if (fault === 'throttled') return failure(429, "Quota exceeded for quota metric 'Access requests'.");
      if (fault === 'unavailable') return failure(503, 'The service is currently unavailable.');
      if (fault === 'server_error') return failure(500, 'Internal error encountered.');
    }
    if (!authenticated(req.headers.authorization)) {
      return failure(401, 'Request had invalid authentication credentials.');
    }
    const resource = `projects/${project}/secrets/${secret}/versions/${wanted}`;
    const versions = secrets.get(keyOf(project, secret));
    if (denied.has(keyOf(project, secret))) {
      return failure(
        403,
        `Permission 'secretmanager.versions.${access === undefined ? 'get' : 'access'}' denied for resource '${resource}' (or it may not exist).`,
      );
    }
    if (versions === undefined)
      return failure(
        404,
        `Secret [projects/${projectNumber}/secrets/${secret}] not found or has no versions.`,
      );
    // `latest` is the version created last, whatever its state (Google's alias).
    const number = wanted === 'latest' ? versions.length : Number(wanted);
    const version = versions[number - 1];
    const name = `projects/${projectNumber}/secrets/${secret}/versions/${number}`;
    if (version === undefined) return failure(404, `Secret Version [${name}] not found.`);
    if (access === undefined) {
      return {
        status: 200,
        body: { name, createTime: version.createTime.toISOString(), state: version.state },
      };
    }
    if (version.state !== 'ENABLED') {
      return failure(400, `Secret Version [${name}] is in ${version.state} state.`);
    }
    return {
      status: 200,
      body: { name, payload: { data: Buffer.from(version.data ?? '', 'utf8').toString('base64') } },
    };
  }

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const versionsOf = (project: string, secret: string) => {
    const versions = secrets.get(keyOf(project, secret));
    if (versions === undefined) throw new Error(`no secret ${secret} in ${project}`);
    return versions;
  };
  const versionOf = (project: string, secret: string, number: number) => {
    const version = versionsOf(project, secret)[number - 1];
    if (version === undefined) throw new Error(`no version ${number} of ${secret}`);
    return version;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    serviceAccount(email = `keycard-${randomBytes(4).toString('hex')}@simulated.iam.gserviceaccount.com`) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      accounts.set(email, createPublicKey(privateKey));
      return {
        type: 'service_account',
        client_email: email,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        project_id: 'simulated',
      };
    },
    put(project, secret, value) {
      const versions = secrets.get(keyOf(project, secret)) ?? [];
      secrets.set(keyOf(project, secret), versions);
      versions.push({
        data: typeof value === 'string' ? value : JSON.stringify(value),
        state: 'ENABLED',
        createTime: new Date(),
      });
      return versions.length;
    },
    disable(project, secret, version) {
      versionOf(project, secret, version).state = 'DISABLED';
    },
    enable(project, secret, version) {
      versionOf(project, secret, version).state = 'ENABLED';
    },
    destroy(project, secret, version) {
      const found = versionOf(project, secret, version);
      found.state = 'DESTROYED';
      found.data = undefined;
    },
    deny(project, secret) {
      denied.add(keyOf(project, secret));
      return () => denied.delete(keyOf(project, secret));
    },
    failNext(fault, options = {}) {
      const times = options.times ?? 1;
      if (times > 0) faults.push({ fault, left: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    requests: () => log.map((entry) => ({ ...entry })),
    accessCount: () => accesses,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
