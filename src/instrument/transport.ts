/**
 * The transport rule every provider shares: a key goes over plain `http://` only to this machine
 * (`localhost`, `127.0.0.0/8`, `::1`), unless the client was created with
 * `dangerouslyAllowPlainHttp: true`. Names are judged as written, not as they resolve: a name that
 * points at this machine today may point elsewhere tomorrow.
 * @module
 */
import { forAudience } from '../audience.js';
import { CredentialError } from '../errors.js';
import { isLoopback } from '../keys/vault/http.js';
import { PROVIDERS, type ProviderId } from '../providers/ids.js';

/** Whether sending a key to `url` is refused. */
export function plainHttpToAnotherHost(url: URL): boolean {
  return url.protocol === 'http:' && !isLoopback(url.hostname);
}

/** The error for a key that would go in clear to another host; nothing was sent. */
export function insecureTransportError(
  provider: ProviderId,
  url: URL,
  context: {
    source?: string | undefined;
    maskedId?: string | undefined;
    fingerprint?: string | undefined;
  } = {},
): CredentialError {
  const { label, keyNoun } = PROVIDERS[provider];
  return new CredentialError({
    reason: 'insecure_source',
    message: `The ${label} ${keyNoun} would be sent in clear over the network (plain http:// to ${url.host}); nothing was sent.`,
    hint: forAudience(
      'Use https://, or a proxy on this machine; plain http:// is accepted only to localhost, 127.0.0.0/8 and ::1, or with { dangerouslyAllowPlainHttp: true } on the client.',
      'Use https://, or a proxy on this machine; plain http:// is accepted only to localhost, 127.0.0.0/8 and ::1, or with --allow-plain-http.',
    ),
    provider,
    ...context,
  });
}

/** Throws when `url` (a base URL or a request URL) would carry the key in clear to another host. */
export function checkTransport(
  provider: ProviderId,
  url: string | URL | undefined,
  allowPlainHttp: boolean,
  context: {
    source?: string | undefined;
    maskedId?: string | undefined;
    fingerprint?: string | undefined;
  } = {},
): void {
  if (url === undefined || allowPlainHttp) return;
  let parsed: URL;
  if (url instanceof URL)
    parsed = url; // the per-request path: no second parse
  else {
    try {
      parsed = new URL(url);
    } catch {
      return; // the SDK reports a URL it cannot use
    }
  }
  if (plainHttpToAnotherHost(parsed)) throw insecureTransportError(provider, parsed, context);
}
