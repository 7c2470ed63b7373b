/**
 * The key inside a secret read from a store: the whole text, or one field of a JSON object
 * (`…#api_key`), with the same messages for every store.
 * @module
 */
import { CredentialError } from '../../errors.js';
import type { ProviderId } from '../../providers/ids.js';

/** Where the secret came from, for messages: `describe()` and the store's words for it. */
export interface SecretPlace {
  /** The source's `describe()`. */
  source: string;
  /** The secret as the store names it, e.g. `the secret openai/prod in AWS Secrets Manager`. */
  what: string;
  provider?: ProviderId | undefined;
}

function names(object: Record<string, unknown>): string {
  const keys = Object.keys(object);
  const shown = keys.slice(0, 8).map((name) => JSON.stringify(name.slice(0, 40)));
  return keys.length > 8 ? `${shown.join(', ')}, …` : shown.join(', ');
}

/**
 * The raw key in `text`: `text` itself when no `field` is named (unless it is a JSON object with
 * one field, whose value is taken), else that field of the JSON object. Throws `missing` for a
 * field that is not there, `malformed` for a value that is not a string or text that is not the
 * JSON object a field needs. Never puts the secret's content in a message, only field names.
 */
export function keyInSecret(text: string, field: string | undefined, place: SecretPlace): string {
  const fail = (reason: 'missing' | 'malformed', message: string, hint: string) =>
    new CredentialError({ reason, message, hint, source: place.source, provider: place.provider });
  let parsed: unknown;
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      parsed = undefined;
    }
  }
  const object =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  if (field === undefined) {
    if (object === undefined) return text;
    const fields = Object.keys(object);
    if (fields.length !== 1) {
      throw fail(
        'missing',
        `${capitalise(place.what)} is a JSON object with ${fields.length === 0 ? 'no fields' : `several fields (${names(object)})`}, and the spec names none.`,
        'Name the field that holds the key after #, e.g. #api_key.',
      );
    }
    field = fields[0] as string;
  }
  if (object === undefined) {
    throw fail(
      'malformed',
      `${capitalise(place.what)} is not a JSON object, so it has no field "${field}".`,
      'Store the secret as JSON ({"api_key": "…"}), or leave #field out to use the whole value.',
    );
  }
  if (!Object.hasOwn(object, field)) {
    throw fail(
      'missing',
      `${capitalise(place.what)} has no field "${field}"${Object.keys(object).length === 0 ? '' : ` (it has ${names(object)})`}.`,
      'Fix the field after # in the spec, or add the key under that field.',
    );
  }
  const value = object[field];
  if (typeof value !== 'string') {
    throw fail(
      'malformed',
      `The field "${field}" of ${place.what} is not a string.`,
      'Store the key as a string value.',
    );
  }
  return value;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
