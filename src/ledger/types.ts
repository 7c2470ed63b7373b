/**
 * The usage ledger contract: one event per HTTP request an SDK made through keycard.
 * @module
 */
import type { CredentialReason } from '../errors.js';
import type { ProviderId } from '../providers/ids.js';

/** How a request ended: `ok`, a `CredentialReason`, `rate_limited`, or `error` (anything else). */
export type UsageOutcome = 'ok' | CredentialReason | 'rate_limited' | 'error';

/** Token counts of one request. `null` where the provider did not report that kind. */
export interface TokenUsage {
  /** All input tokens, cached and cache-write included (the provider's billable input). */
  inputTokens: number | null;
  /** Input tokens read from the provider's prompt cache (a part of `inputTokens`). */
  cachedInputTokens: number | null;
  /** Input tokens written to the prompt cache (a part of `inputTokens`). */
  cacheWriteTokens: number | null;
  /** Output tokens, reasoning included. */
  outputTokens: number | null;
  /** Reasoning tokens (a part of `outputTokens`). */
  reasoningTokens: number | null;
}

/**
 * One request, as recorded. Never holds the key, a prompt or a completion.
 */
export interface UsageEvent extends TokenUsage {
  /** When the request started. */
  time: Date;
  provider: ProviderId;
  /** What was called, e.g. `chat.completions`, `responses`, `embeddings`, `models.list`. */
  operation: string;
  /** The model the provider reports (or the one requested), when there is one. */
  model: string | null;
  /** Fingerprint of the key the request was made with. */
  keyFingerprint: string;
  /** Masked id of that key. */
  maskedId: string;
  /** The workflow the client was created for, if any. */
  workflow: string | null;
  /**
   * The call's tags: the client's `tags` option with `withTags()`'s on top. An empty object
   * when it has none (events recorded before tags existed read back with `{}` too).
   */
  tags: Readonly<Record<string, string>>;
  /** HTTP requests this event stands for (1). */
  requests: number;
  /** Cost in USD; `null` when unpriced. */
  costUsd: number | null;
  /** How `costUsd` was found (price source and date), or `null` when unpriced. */
  pricing: string | null;
  /** From the start of the request to the end of its body (of the stream, when streaming). */
  latencyMs: number;
  /** How the request ended. */
  outcome: UsageOutcome;
  /** HTTP status, when a response arrived. */
  status: number | null;
  /** Whether the response was streamed. */
  stream: boolean;
}

/**
 * A dimension `totals()` can group by; `tag:NAME` groups by the value of the tag `NAME` (calls
 * without it form the group whose value is `null`).
 */
export type TotalsDimension =
  | 'fingerprint'
  | 'provider'
  | 'model'
  | 'workflow'
  | 'operation'
  | 'day'
  | 'hour'
  | `tag:${string}`;

/** A `totals()` query. */
export interface TotalsQuery {
  /** Group by these dimensions, in order. Default: none (one row with everything). */
  by?: readonly TotalsDimension[];
  /** Only events at or after this time. */
  since?: Date;
  /** Only events before this time. */
  until?: Date;
  /**
   * Only events matching these fields exactly; `tags`: only events carrying each of these tags
   * with this value (`null`: without that tag).
   */
  where?: Partial<Pick<UsageEvent, 'provider' | 'model' | 'workflow' | 'keyFingerprint' | 'operation'>> & {
    tags?: Readonly<Record<string, string | null>> | undefined;
  };
}

/** One row of `totals()`: the group's key fields and its sums. */
export interface TotalsRow {
  fingerprint?: string;
  maskedId?: string;
  provider?: ProviderId;
  model?: string | null;
  workflow?: string | null;
  operation?: string;
  /** `YYYY-MM-DD` in UTC. */
  day?: string;
  /** `YYYY-MM-DDTHH` in UTC. */
  hour?: string;
  /** The group's value of each `tag:NAME` dimension, by tag name; `null` for calls without it. */
  tags?: Record<string, string | null>;
  requests: number;
  errors: number;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** Sum of priced events; `null` when no event in the group was priced. */
  costUsd: number | null;
  /** Events in the group whose cost is unknown. */
  unpricedRequests: number;
}

/** One key as the ledger saw it: find keys nobody uses any more, and revoke them. */
export interface KeyUsage {
  fingerprint: string;
  /** The masked id last recorded for it. */
  maskedId: string;
  provider: ProviderId;
  firstUsed: Date;
  lastUsed: Date;
  requests: number;
  errors: number;
  /** Sum of priced calls; `null` when none was priced. */
  costUsd: number | null;
}

/** Where usage events go. */
export interface Ledger {
  /** Records one event. Never throws for a well-formed event; may buffer. */
  record(event: UsageEvent): void;
  /** Sums over the recorded events. */
  totals(query?: TotalsQuery): Promise<TotalsRow[]>;
  /** The recorded events, oldest first. */
  events(query?: Omit<TotalsQuery, 'by'>): AsyncIterable<UsageEvent>;
  /** Every key fingerprint seen: masked id, provider, first and last use, requests and cost. */
  keys(): Promise<KeyUsage[]>;
  /** Writes what is buffered. */
  flush(): Promise<void>;
  /** Flushes and releases the store. */
  close(): Promise<void>;
}
