/**
 * zod 4 schemas of every provider's keys, built from the shapes in `shapes.ts`, and
 * `checkKeyShape`, which tells a key of another provider (`wrong_provider`) from a value that
 * is no key at all (`malformed`).
 *
 * zod costs tens of milliseconds to import, so keycard imports this module lazily
 * (`await import('./keys/schemas.js')`); it is also published as `keycard/shapes`. No other
 * module in `src/keys` imports zod.
 * @module
 */
import { z } from 'zod';
import { CredentialError } from '../errors.js';
import { PROVIDER_IDS, PROVIDERS, type ProviderId } from '../providers/ids.js';
import { Secret } from '../secret.js';
import { describeKeyKind, detectProvider, KEY_SHAPES, keyLabel, withArticle } from './shapes.js';

/** A key schema: a string that matches one provider's key shape. */
export type KeySchema = z.ZodString;

function schemaFor(provider: ProviderId): KeySchema {
  const shape = KEY_SHAPES[provider];
  return z.string().regex(shape.pattern, {
    error: `Expected ${withArticle(shape.label)} (${shape.examples}).`,
  });
}

/**
 * OpenAI API keys: `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`, `sk-None-…`, and plain `sk-…`
 * (legacy keys and OpenAI-compatible vendors).
 *
 * @example
 * OpenAIKeySchema.safeParse(process.env.OPENAI_API_KEY).success;
 */
export const OpenAIKeySchema: KeySchema = schemaFor('openai');

/** Anthropic keys: `sk-ant-api03-…`, `sk-ant-admin01-…`, and `sk-ant-oat01-…` OAuth access tokens. */
export const AnthropicKeySchema: KeySchema = schemaFor('anthropic');

/** Google Gemini keys: `AIza` + 35 characters, or the opaque `AQ.…` keys. */
export const GeminiKeySchema: KeySchema = schemaFor('gemini');

/** Slack tokens the Web API accepts: `xoxb-…`, `xoxp-…`, `xoxe.xoxb-…`, `xoxe.xoxp-…` (not `xapp-…`). */
export const SlackKeySchema: KeySchema = schemaFor('slack');

/** Telegram bot tokens: `<bot id>:<35 characters>`. */
export const TelegramKeySchema: KeySchema = schemaFor('telegram');

/** xAI keys: `xai-…`. */
export const XAIKeySchema: KeySchema = schemaFor('xai');

/**
 * Every provider's key schema, by provider id.
 *
 * @example
 * const result = keySchemas.anthropic.safeParse(value);
 */
export const keySchemas: Readonly<Record<ProviderId, KeySchema>> = {
  openai: OpenAIKeySchema,
  anthropic: AnthropicKeySchema,
  gemini: GeminiKeySchema,
  slack: SlackKeySchema,
  telegram: TelegramKeySchema,
  xai: XAIKeySchema,
};

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
    throw new TypeError(`checkKeyShape: unknown provider (expected one of ${PROVIDER_IDS.join(', ')})`);
  const value: unknown = secret instanceof Secret ? secret.reveal() : secret;
  const source = context.source ?? (secret instanceof Secret ? secret.source : undefined);
  const fields = {
    provider,
    source,
    maskedId: secret instanceof Secret ? secret.maskedId : undefined,
    fingerprint: secret instanceof Secret ? secret.fingerprint : undefined,
  };
  const from = source === undefined ? '' : ` from ${source}`;

  if (typeof value !== 'string') {
    throw new CredentialError({
      ...fields,
      reason: 'malformed',
      message: `The value${from} is a ${typeof value}, not ${withArticle(shape.label)}.`,
      hint: shape.hint,
    });
  }

  const unusable = shape.unusable.find((candidate) => candidate.marker.test(value));
  if (unusable !== undefined) {
    throw new CredentialError({
      ...fields,
      reason: 'malformed',
      message: `The value${from} is ${unusable.what}; the ${PROVIDERS[provider].label} client needs ${withArticle(shape.label)} (${shape.examples}).`,
      hint: unusable.hint,
    });
  }

  if (keySchemas[provider].safeParse(value).success) return;

  const detected = detectProvider(value);
  if (detected !== undefined && detected !== provider) {
    const kind = describeKeyKind(value) ?? KEY_SHAPES[detected].examples;
    throw new CredentialError({
      ...fields,
      reason: 'wrong_provider',
      message: `This looks like ${withArticle(keyLabel(detected))} (${kind}) but the client is for ${PROVIDERS[provider].label}${source === undefined ? '' : ` (source: ${source})`}.`,
      hint: `Use the ${shape.label}, or create the client with createClient('${detected}', …).`,
    });
  }

  // The right prefix but no match: a cut-off paste, or characters added or changed.
  const samePrefix = shape.marker.test(value) || (provider === 'openai' && value.startsWith('sk-'));
  throw new CredentialError({
    ...fields,
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
