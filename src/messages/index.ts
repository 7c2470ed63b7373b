/**
 * Which language and audience keycard's messages are written for, per client, and a way to add a
 * language. The `reason` of an error and every other field stay the same; `message` and `hint`
 * change, and the text keycard wrote first is kept as `detail` for logs.
 * @module
 */

import { CredentialError } from '../errors.js';
import { BudgetExceededError } from '../ledger/budget.js';
import { english } from './en.js';
import { korean } from './ko.js';
import type { BudgetFacts, CredentialFacts, Message, MessageAudience, MessageCatalog } from './types.js';

export type { BudgetFacts, CredentialFacts, Message, MessageAudience, MessageCatalog } from './types.js';

const catalogs = new Map<string, MessageCatalog>([
  ['en', english],
  ['ko', korean],
]);

/**
 * Adds a language (or replaces one), by its BCP 47 tag (`'ja'`, `'de'`, `'pt-BR'`). A catalogue
 * returns a message and hint for each `CredentialError` reason and for budgets, for each
 * audience; returning `undefined` keeps keycard's English.
 *
 * @example
 * registerMessages('de', {
 *   credential: ({ reason }, audience) => reason === 'unauthorized'
 *     ? { message: 'Der Schlüssel wurde abgelehnt.', hint: 'Neuen Schlüssel eintragen.' }
 *     : undefined,
 *   budget: () => undefined,
 * });
 */
export function registerMessages(language: string, catalog: MessageCatalog): void {
  if (typeof language !== 'string' || !/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(language)) {
    throw new TypeError('registerMessages(): language is a BCP 47 tag such as "ko" or "pt-BR"');
  }
  if (typeof catalog?.credential !== 'function' || typeof catalog.budget !== 'function') {
    throw new TypeError('registerMessages(): a catalogue has credential() and budget() functions');
  }
  catalogs.set(language.toLowerCase(), catalog);
}

/** The languages keycard can write in: `en`, `ko` and any registered. */
export function messageLanguages(): string[] {
  return [...catalogs.keys()];
}

/** Whether keycard has messages in `language` (its own tag or its primary language). */
export function hasMessages(language: string): boolean {
  return catalogFor(language) !== undefined;
}

/** The catalogue for `language`: an exact tag, else its primary language (`ko-KR` → `ko`). */
function catalogFor(language: string): MessageCatalog | undefined {
  const tag = language.toLowerCase();
  return catalogs.get(tag) ?? catalogs.get(tag.split('-')[0] as string);
}

/** How a client's messages are written. */
export interface MessageOptions {
  /**
   * The language, as a BCP 47 tag: `'en'`, `'ko'`, or one added with `registerMessages()`.
   * @default 'en'
   */
  language?: string | undefined;
  /**
   * Who reads the messages: `'developer'` (what to change in the code) or `'end-user'` (which
   * credential to fix and where to get a new key, no code).
   * @default 'developer'
   */
  audience?: MessageAudience | undefined;
}

function rewrite(error: Error, text: Message): void {
  const original = error.message;
  const message = `${text.message.trimEnd()} ${text.hint}`.trim();
  Object.defineProperty(error, 'detail', { value: original, enumerable: false, configurable: true });
  Object.defineProperty(error, 'message', { value: message, writable: true, configurable: true });
  Object.defineProperty(error, 'hint', { value: text.hint, writable: true, configurable: true });
  if (typeof error.stack === 'string' && error.stack.includes(original)) {
    error.stack = error.stack.replace(original, message);
  }
}

/**
 * Writes `error`'s message and hint for `options`' language and audience, when it is a
 * `CredentialError` or `BudgetExceededError` and the catalogue has words for it; any other error
 * is returned as it is. The same object is returned, changed in place.
 */
export function localizeError<E>(error: E, options: MessageOptions | undefined): E {
  const language = options?.language ?? 'en';
  const audience = options?.audience ?? 'developer';
  if (language === 'en' && audience === 'developer') return error;
  const catalog = catalogFor(language);
  if (catalog === undefined || !(error instanceof Error)) return error;
  let text: Message | undefined;
  if (CredentialError.is(error)) {
    const facts: CredentialFacts = {
      reason: error.reason,
      provider: error.provider,
      source: error.source,
      maskedId: error.maskedId,
      status: error.status,
      retryable: error.retryable,
    };
    text =
      catalog.credential(facts, audience) ??
      (language === 'en' ? undefined : english.credential(facts, audience));
  } else if (BudgetExceededError.is(error)) {
    const facts: BudgetFacts = {
      budget: error.budget,
      scope: error.scope,
      limit: error.limit,
      amount: error.limits[error.limit] ?? 0,
      resetsAt: error.resetsAt,
    };
    text = catalog.budget(facts, audience) ?? english.budget(facts, audience);
  }
  if (text !== undefined) rewrite(error, text);
  return error;
}
