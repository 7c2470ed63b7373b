/**
 * What the Vault simulator's answers are made of: Vault's response envelope, its error texts,
 * its time format, Go-style durations, namespaces and policy globs.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

/** An answer: a status and a JSON body (`undefined`: no body, as for 204). */
export interface VaultReply {
  readonly status: number;
  readonly body: unknown;
}

/** A token that is valid but whose policies do not grant the path (Vault ≥ 1.x wording). */
export const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';
/** An unknown, expired or revoked token. */
export const INVALID_TOKEN = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';
/** No token at all (and any token refused by `sys/internal/ui/mounts`). */
export const NO_TOKEN = 'permission denied';

/** The KV v2 warning for a read without `data/` (or `metadata/`, `subkeys/`) after the mount. */
export const INVALID_V2_PATH =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

/** `{"errors": [...]}`, as every Vault error is. */
export function errorReply(status: number, errors: readonly string[]): VaultReply {
  return { status, body: { errors } };
}

/** Vault's response envelope, with `fields` over the defaults. */
export function okReply(fields: Record<string, unknown>, status = 200): VaultReply {
  return {
    status,
    body: {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: null,
      ...fields,
    },
  };
}

/** The `errors` a fault answers with when it names none: Vault's text for that status. */
export function faultErrors(status: number, path: string): string[] {
  switch (status) {
    case 403:
      return [PERMISSION_DENIED];
    case 404:
      return [];
    case 405:
      return ['unsupported operation'];
    case 412:
      return ['required index state not present'];
    case 429:
      return [`request path "${path}": rate limit quota exceeded`];
    case 500:
      return ['internal error'];
    case 503:
      return ['Vault is sealed'];
    default:
      return [(STATUS_CODES[status] ?? 'error').toLowerCase()];
  }
}

/**
 * A time as Vault writes it: Go's RFC 3339 with nanoseconds, trailing zeros trimmed
 * (`2018-03-22T02:24:06.945319214Z`). The sub-millisecond digits come from the monotonic clock.
 */
export function vaultTime(ms = Date.now()): string {
  const nanos = Number(process.hrtime.bigint() % 1_000_000n);
  const whole = new Date(ms).toISOString().slice(0, 19);
  const fraction = `${String(ms % 1000).padStart(3, '0')}${String(nanos).padStart(6, '0')}`.replace(
    /0+$/,
    '',
  );
  return `${whole}${fraction === '' ? '' : `.${fraction}`}Z`;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
};

/**
 * Seconds in a Vault duration: a number of seconds (`3600`, `'3600'`) or Go's form with Vault's
 * `d` (`'1h'`, `'1h30m'`, `'90s'`, `'1.5h'`, `'7d'`). `undefined` when it is neither.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)) {
    seconds += Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1);
  }
  return Math.floor(seconds);
}

/** `a/b` as a path without leading or trailing slashes. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/** A namespace as Vault normalises it: `''` for the root, else `ns1/` or `ns1/ns2/`. */
export function normaliseNamespace(value: string | undefined): string {
  const trimmed = trimSlashes(value?.trim() ?? '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a policy path glob matches `path`: `*` at the end is a prefix, `+` one segment. */
export function globMatches(glob: string, path: string): boolean {
  const prefix = glob.endsWith('*');
  const body = prefix ? glob.slice(0, -1) : glob;
  const pattern = body.split('+').map(escapeRegExp).join('[^/]+');
  return new RegExp(`^${pattern}${prefix ? '' : '$'}`).test(path);
}

/** Whether `policies` grant `path` (relative to the token's namespace). `root` grants all. */
export function policiesAllow(policies: readonly string[], path: string): boolean {
  return policies.some((policy) => policy === 'root' || (policy !== 'default' && globMatches(policy, path)));
}

/** Whether `policies` grant anything under `mountPrefix` (`secret/`), as Vault's preflight asks. */
export function policiesReachMount(policies: readonly string[], mountPrefix: string): boolean {
  return policies.some((policy) => {
    if (policy === 'root') return true;
    if (policy === 'default') return false;
    const wildcard = policy.search(/[*+]/);
    const literal = wildcard < 0 ? policy : policy.slice(0, wildcard);
    return literal.startsWith(mountPrefix) || (wildcard >= 0 && mountPrefix.startsWith(literal));
  });
}

/** Whether a path filter (a prefix or a RegExp) matches; no filter matches everything. */
export function pathMatches(filter: string | RegExp | undefined, path: string): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'string') return path.startsWith(filter);
  filter.lastIndex = 0;
  return filter.test(path);
}
