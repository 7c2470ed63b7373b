/**
 * An Azure Key Vault server for tests and demos, written from the public REST reference: secrets
 * with versions that can be disabled, Key Vault's bearer challenge (a request without a token is
 * answered 401 with `WWW-Authenticate: Bearer authorization="…", resource="…"`), a Microsoft Entra
 * token endpoint for the client-credentials flow (`ClientSecretCredential` signs in against it),
 * access refused per secret, Key Vault's error envelope, faults on demand, and a log of requests
 * that never holds a token, a client secret or a secret value.
 *
 * Key Vault takes tokens over TLS only, and so does the official client: the simulator serves
 * HTTPS with the certificate and key it is given (trust the CA with the source's `ca` option).
 *
 * @example
 * import { ClientSecretCredential } from '@azure/identity';
 * import { keys } from 'keycard';
 * import { startAzureKeyVaultSimulator } from 'keycard/testing';
 * const azure = await startAzureKeyVaultSimulator({ tls: { key, cert } });
 * azure.setSecret('openai-key', key);
 * const app = azure.application();
 * const credential = new ClientSecretCredential(app.tenantId, app.clientId, app.clientSecret, {
 *   authorityHost: azure.url, disableInstanceDiscovery: true, tlsOptions: { ca },
 * });
 * keys.azureKeyVault('azure-kv://team-vault/openai-key', { vaultUrl: azure.url, credential, ca });
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A fault the simulator answers the next secret read with. */
export type AzureKeyVaultFault = 'throttled' | 'unavailable' | 'server_error' | 'garbage' | 'hang';

/** Options of {@link startAzureKeyVaultSimulator}. */
export interface AzureKeyVaultSimulatorOptions {
  /** The server's TLS key and certificate (PEM), for 127.0.0.1. */
  tls: { key: string | Buffer; cert: string | Buffer };
}

/** One request, as logged: no token, no client secret, no secret value. */
export interface AzureKeyVaultRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
}

/** An application registered with the simulated tenant, for `ClientSecretCredential`. */
export interface AzureSimulatedApplication {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** A running simulator. */
export interface AzureKeyVaultSimulator {
  /** `https://127.0.0.1:PORT`: the vault URL, and the credential's `authorityHost`. */
  readonly url: string;
  /** Registers an application (client id and secret) whose tokens the vault accepts. */
  application(): AzureSimulatedApplication;
  /** Sets a secret to a new version (a JSON object is stored as its JSON); returns the version id. */
  setSecret(name: string, value: string | Record<string, unknown>): string;
  /** Disables a version (the current one when none is named). */
  disable(name: string, version?: string): void;
  /** Refuses `get` on a secret (403, as Azure RBAC does); returns a function that allows it again. */
  deny(name: string): () => void;
  /** Answers the next `times` secret reads with `fault` (default once; `Infinity` until cleared). */
  failNext(fault: AzureKeyVaultFault, options?: { times?: number }): void;
  /** Drops the faults still queued. */
  clearFaults(): void;
  /** How many secret reads carried a token (and so reached the vault proper). */
  readCount(): number;
  /** Every request so far, oldest first. */
  requests(): readonly AzureKeyVaultRequest[];
  close(): Promise<void>;
}

interface Version {
  id: string;
  value: string;
  enabled: boolean;
  created: number;
}

type Answer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { garbage: true }
  | 'hang';

function failure(status: number, code: string, message: string, inner?: string): Answer {
  return {
    status,
    body: { error: { code, message, ...(inner === undefined ? {} : { innererror: { code: inner } }) } },
  };
}

/** Starts an Azure Key Vault simulator (HTTPS) on 127.0.0.1. */
export async function startAzureKeyVaultSimulator(
  options: AzureKeyVaultSimulatorOptions,
): Promise<AzureKeyVaultSimulator> {
  const secrets = new Map<string, Version[]>();
  const denied = new Set<string>();
  const applications = new Map<string, AzureSimulatedApplication>();
  const tokens = new Set<string>();
  const faults: Array<{ fault: AzureKeyVaultFault; left: number }> = [];
  const log: AzureKeyVaultRequest[] = [];
  const sockets = new Set<Socket>();
  let reads = 0;
  let base = '';

  function takeFault(): AzureKeyVaultFault | undefined {
    const next = faults[0];
    if (next === undefined) return undefined;
    next.left -= 1;
    if (next.left <= 0) faults.shift();
    return next.fault;
  }

  function tokenAnswer(tenant: string, body: string): Answer {
    const form = new URLSearchParams(body);
    const app = applications.get(form.get('client_id') ?? '');
    if (
      form.get('grant_type') !== 'client_credentials' ||
      app === undefined ||
      app.tenantId !== tenant ||
      app.clientSecret !== form.get('client_secret')
    ) {
      return {
        status: 401,
        body: {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
          error_codes: [7000215],
        },
      };
    }
    const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.${randomBytes(24).toString('base64url')}.sim`;
    tokens.add(token);
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token },
    };
  }

  function answerFor(req: IncomingMessage, url: URL, body: string): Answer {
    const tenantRoute = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(
      url.pathname,
    );
    if (tenantRoute !== null) {
      const [, tenant = '', route] = tenantRoute;
      if (route?.startsWith('oauth2') === true)
        return req.method === 'POST'
          ? tokenAnswer(tenant, body)
          : failure(405, 'MethodNotAllowed', 'POST only');
      const authority = `${base}/${tenant}`;
      return {
        status: 200,
        body: {
          token_endpoint: `${authority}/oauth2/v2.0/token`,
          authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
          issuer: `${authority}/v2.0`,
          jwks_uri: `${authority}/discovery/v2.0/keys`,
        },
      };
    }
    const secretRoute = /^\/secrets\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9]*))?\/?$/.exec(url.pathname);
    if (secretRoute === null || req.method !== 'GET')
      return failure(404, 'NotFound', 'The route is not known to the simulator.');
    const authorization = req.headers.authorization;
    if (authorization === undefined) {
      const tenant = [...applications.values()][0]?.tenantId ?? 'common';
      return {
        status: 401,
        headers: {
          'www-authenticate': `Bearer authorization="${base}/${tenant}", resource="https://vault.azure.net"`,
        },
        body: {
          error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
        },
      };
    }
    const token = /^Bearer (.+)$/.exec(authorization)?.[1] ?? '';
    if (!tokens.has(token)) return failure(401, 'Unauthorized', 'AKV10022: Invalid audience or token.');
    reads += 1;
    const fault = takeFault();
    if (fault === 'hang') return 'hang';
    if (fault === 'garbage') return { garbage: true };
    if (fault === 'throttled') {
      return {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { code: 'Throttled', message: 'Rate limit is exceeded. Try again in 1 seconds.' } },
      };
    }
    if (fault === 'unavailable') return failure(503, 'ServiceUnavailable', 'The service is unavailable.');
    if (fault === 'server_error') return failure(500, 'InternalServerError', 'An unexpected error occurred.');
    const [, name = '', wanted] = secretRoute;
    if (denied.has(name)) {
      return failure(
        403,
        'Forbidden',
        `Caller is not authorized to perform action on resource.\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/secrets/${name}'`,
        'ForbiddenByRbac',
      );
    }
    const versions = secrets.get(name);
    const version =
      wanted === undefined || wanted === '' ? versions?.at(-1) : versions?.find((item) => item.id === wanted);
    if (version === undefined) {
      return failure(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${name}${wanted ? `/${wanted}` : ''} was not found in this key vault.`,
      );
    }
    if (!version.enabled) {
      return failure(
        403,
        'Forbidden',
        'Operation get is not allowed on a disabled secret.',
        'SecretDisabled',
      );
    }
    return {
      status: 200,
      body: {
        value: version.value,
        id: `${base}/secrets/${name}/${version.id}`,
        attributes: {
          enabled: true,
          created: version.created,
          updated: version.created,
          recoveryLevel: 'Recoverable+Purgeable',
        },
      },
    };
  }

  const server = createServer(
    { key: options.tls.key, cert: options.tls.cert },
    (req, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://127.0.0.1');
        const record = { method: req.method ?? 'GET', path: url.pathname, status: null as number | null };
        log.push(record);
        res.on('finish', () => {
          record.status = res.statusCode;
        });
        const answer = answerFor(req, url, Buffer.concat(chunks).toString('utf8'));
        if (answer === 'hang') return;
        if ('garbage' in answer) {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end('{"value": "');
          return;
        }
        res.writeHead(answer.status, {
          'content-type': 'application/json; charset=utf-8',
          ...answer.headers,
        });
        res.end(JSON.stringify(answer.body));
      });
    },
  );
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    application() {
      const app = {
        tenantId: randomBytes(16).toString('hex'),
        clientId: randomBytes(16).toString('hex'),
        clientSecret: randomBytes(24).toString('base64url'),
      };
      applications.set(app.clientId, app);
      return app;
    },
    setSecret(name, value) {
      const versions = secrets.get(name) ?? [];
      secrets.set(name, versions);
      const id = randomBytes(16).toString('hex');
      versions.push({
        id,
        value: typeof value === 'string' ? value : JSON.stringify(value),
        enabled: true,
        created: Math.floor(Date.now() / 1000),
      });
      return id;
    },
    disable(name, version) {
      const versions = secrets.get(name) ?? [];
      const found = version === undefined ? versions.at(-1) : versions.find((item) => item.id === version);
      if (found === undefined) throw new Error(`no secret ${name}`);
      found.enabled = false;
    },
    deny(name) {
      denied.add(name);
      return () => denied.delete(name);
    },
    failNext(fault, failOptions = {}) {
      const times = failOptions.times ?? 1;
      if (times > 0) faults.push({ fault, left: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    readCount: () => reads,
    requests: () => log.map((entry) => ({ ...entry })),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
