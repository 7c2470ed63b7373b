/**
 * Messages for two audiences in any language: the developer who writes the code (what to change
 * in it) and the person who runs the workflow (which credential to fix and where to get a new
 * key). `reason` codes never change with the language.
 * @module
 */
import type { CredentialReason } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';

/**
 * Who reads keycard's messages: `'developer'` (what to change in the code: the default) or
 * `'end-user'` (which credential to fix and where to get a new key, no code).
 */
export type MessageAudience = 'developer' | 'end-user';

/** What a message about a key is made from. Never the key. */
export interface CredentialFacts {
  readonly reason: CredentialReason;
  readonly provider: ProviderId | undefined;
  /** Where the key comes from: the source's label (e.g. `credential "OpenAI account"`) or `describe()`. */
  readonly source: string | undefined;
  readonly maskedId: string | undefined;
  /** The HTTP status, when the provider answered. */
  readonly status: number | undefined;
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;
}

/** What a message about a budget is made from. */
export interface BudgetFacts {
  /** The budget's name. */
  readonly budget: string;
  /** `key:…`, `workflow:…` or `provider:…`. */
  readonly scope: string;
  /** What ran out. */
  readonly limit: 'usd' | 'requests' | 'tokens';
  /** The limit's amount (USD, requests or tokens). */
  readonly amount: number;
  /** When the period ends and the budget is available again. */
  readonly resetsAt: Date;
}

/** A message and what to do about it. */
export interface Message {
  readonly message: string;
  readonly hint: string;
}

/**
 * One language's messages. Return `undefined` to keep keycard's own English text (which is
 * what the built-in English catalogue does for developers: its messages are the detailed ones
 * written where each error is raised).
 */
export interface MessageCatalog {
  credential(facts: CredentialFacts, audience: MessageAudience): Message | undefined;
  budget(facts: BudgetFacts, audience: MessageAudience): Message | undefined;
}
