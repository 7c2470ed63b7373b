/**
 * `checkKeyShape`: whether a value has the shape of a provider's key, checked by a zod schema
 * built from the shapes in `shapes.ts`. It tells a key of another provider (`wrong_provider`)
 * from a value that is no key at all (`malformed`).
 *
 * This is what `createClient` loads (lazily, with its first key) to check a key. It uses
 * `zod/mini`, which the build bundles and tree-shakes into keycard's own chunks: a few
 * milliseconds to load, where zod's full build costs 50 ms or more. The public schemas of
 * `keycard/shapes` (`schemas.ts`) are zod's full schemas, built from the same shapes.
 * @module
 */
import { regex, string, type ZodMiniString } from 'zod/mini';
import { CredentialError } from '../errors.js';
import { PROVIDERS, type ProviderId, providerIds } from '../providers/ids.js';
import { Secret } from '../secret.js';
import { describeKeyKind, detectProvider, KEY_SHAPES, keyLabel, withArticle } from './shapes.js';

/** The message of a value that does not match `provider`'s shape: the form, never the value. */
export function shapeMessage(provider: ProviderId): string {
  const shape = KEY_SHAPES[provider];
  return `Expected ${withArticle(shape.label)} (${shape.examples}).`;
}

/** The schema each check runs, one per provider, built on first use. */
const checks = new Map<ProviderId, ZodMiniString<string>>();

function checkFor(provider: ProviderId): ZodMiniString<string> {
  let schema = checks.get(provider);
  if (schema === undefined) {
    schema = string().check(regex(KEY_SHAPES[provider].pattern, { error: shapeMessage(provider) }));
    checks.set(provider, schema);
  }
  return schema;
}

/** Where the value being checked came from. */
export interface CheckKeyShapeContext {
  /** The key source's `describe()`, named in messages and set as the error's `source`. Default: the Secret's own `source`. */
  source?: string | undefined;
}

/**
 * Checks that `secret` has the shape of a `provider` key. Resolves when it does; otherwise
 * throws a `CredentialError`: `wrong_provider` when the value is recognisably another provider's
 * key, `malformed` when it is no key of this provider (or a credential its client cannot use,
 * such as a Slack `xapp-` token). Never puts the value in the error; adds the masked id and
 * fingerprint when given a `Secret`.
 *
 * @example
 * await checkKeyShape('openai', secret, { source: 'env:OPENAI_API_KEY' });
 */
export async function checkKeyShape(
  provider: ProviderId,
  secret: Secret | string,
  context: CheckKeyShapeContext = {},
): Promise<void> {
  const shape = KEY_SHAPES[provider];
  if (shape === undefined)
    throw new TypeError(`checkKeyShape: unknown provider (expected one of ${providerIds().join(', ')})`);
  const value: unknown = secret instanceof Secret ? secret.reveal() : secret;
  const source = context.source ?? (secret instanceof Secret ? secret.source : undefined);
  // For the error only: a key that fits needs no fingerprint yet (see Secret.fingerprint).
  const fields = () => ({
    provider,
    source,
    maskedId: secret instanceof Secret ? secret.maskedId : undefined,
    fingerprint: secret instanceof Secret ? secret.fingerprint : undefined,
  });
  const from = source === undefined ? '' : ` from ${source}`;

  if (typeof value !== 'string') {
    throw new CredentialError({
      ...fields(),
      reason: 'malformed',
      message: `The value${from} is a ${typeof value}, not ${withArticle(shape.label)}.`,
      hint: shape.hint,
    });
  }

  const unusable = shape.unusable.find((candidate) => candidate.marker.test(value));
  if (unusable !== undefined) {
    throw new CredentialError({
      ...fields(),
      reason: 'malformed',
      message: `The value${from} is ${unusable.what}; the ${PROVIDERS[provider].label} client needs ${withArticle(shape.label)} (${shape.examples}).`,
      hint: unusable.hint,
    });
  }

  if (checkFor(provider).safeParse(value).success) return;

  const detected = detectProvider(value);
  if (detected !== undefined && detected !== provider) {
    const kind = describeKeyKind(value) ?? KEY_SHAPES[detected].examples;
    throw new CredentialError({
      ...fields(),
      reason: 'wrong_provider',
      message: `This looks like ${withArticle(keyLabel(detected))} (${kind}) but the client is for ${PROVIDERS[provider].label}${source === undefined ? '' : ` (source: ${source})`}.`,
      hint: `Use the ${shape.label}, or create the client with createClient('${detected}', …).`,
    });
  }

  // The right prefix but no match: a cut-off paste, or characters added or changed.
  const samePrefix =
    shape.marker.test(value) || (shape.sharedPrefix !== undefined && value.startsWith(shape.sharedPrefix));
  throw new CredentialError({
    ...fields(),
    reason: 'malformed',
    message: `The value${from} is not ${withArticle(shape.label)}: ${malformedDetail(provider, value, samePrefix)}`,
    hint: samePrefix
      ? `Copy the whole key again from ${shape.keyFrom}: it was cut off, or characters were added or changed.`
      : shape.hint,
  });
}

/** Why a value is not a key of `provider`, by prefix and length only: never by content. */
function malformedDetail(provider: ProviderId, value: string, samePrefix: boolean): string {
  const shape = KEY_SHAPES[provider];
  if (samePrefix) {
    return `it has the right prefix, but its length (${value.length} characters) or its characters do not fit the form ${shape.examples}.`;
  }
  if (value.startsWith('sk-')) {
    return `it starts with sk-, which OpenAI and OpenAI-compatible services use; ${shape.label}s have the form ${shape.examples}.`;
  }
  return `it does not have the form ${shape.examples}.`;
}
