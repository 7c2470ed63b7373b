/**
 * Headers an SDK adds from an environment variable (`OPENAI_CUSTOM_HEADERS`,
 * `ANTHROPIC_CUSTOM_HEADERS`: "Name: value" lines) to every request, even when every option is
 * passed. keycard nulls each of them in `defaultHeaders`, so only what the user configured applies.
 * @module
 */

/** A header name as HTTP allows it (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `{ [name]: null }` for every header named in the variable. Lines without a colon or with an
 * invalid name are skipped (the SDKs skip them too); so are `keep`, headers the SDK sets itself,
 * which a `null` would remove altogether.
 */
export function nulledEnvHeaders(variable: string, keep: readonly string[] = []): Record<string, null> {
  const raw = process.env[variable];
  if (raw === undefined) return {};
  const kept = new Set(keep.map((name) => name.toLowerCase()));
  const names = raw
    .split(/\r?\n/)
    .filter((line) => line.includes(':'))
    .map((line) => line.slice(0, line.indexOf(':')).trim())
    .filter(
      (name) =>
        HEADER_NAME.test(name) &&
        !kept.has(name.toLowerCase()) &&
        !name.toLowerCase().startsWith('x-stainless-'),
    );
  return Object.fromEntries(names.map((name) => [name, null]));
}
