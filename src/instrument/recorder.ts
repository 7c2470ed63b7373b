/**
 * Turns one finished request into a ledger event and a debug log line.
 * @module
 */
import { trackPending } from '../ledger/pending.js';
import { type PricedCost, type PricingOptions, priceCall, priceCallSync } from '../ledger/pricing.js';
import { currentTags, mergeTags, NO_TAGS, type Tags } from '../ledger/tags.js';
import type { Ledger, UsageEvent, UsageOutcome } from '../ledger/types.js';
import type { ProviderId } from '../providers/ids.js';
import type { RequestPlan, ResponseUsage } from '../providers/types.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';
import type { Replay, Telemetry } from '../telemetry/otel.js';
import { type Admission, type BudgetGate, NO_ADMISSION } from './budget-gate.js';

/** What is known about a request when it ends. */
export interface FinishedRequest {
  plan: RequestPlan;
  secret: Secret;
  time: Date;
  /** `performance.now()` when the request started. */
  startedAt: number;
  status: number | null;
  outcome: UsageOutcome;
  usage: ResponseUsage | null;
  stream: boolean;
  /** What the budget gate reserved for this request. */
  admission?: Admission | undefined;
  /** The origin the request was sent to, when custom prices need it (see `needsOrigin`). */
  origin?: string | undefined;
  /** Set when this attempt replays the request after one that failed over (a re-read key, a pool). */
  replay?: Replay | undefined;
  /** The call's tags (the client's and `withTags()`'s), read when it started. */
  tags?: Tags | undefined;
}

const NO_USAGE: ResponseUsage = {
  model: null,
  inputTokens: null,
  cachedInputTokens: null,
  cacheWriteTokens: null,
  outputTokens: null,
  reasoningTokens: null,
};

export class Recorder {
  readonly #unpriced = new Set<string>();
  /** The client's tags with each `withTags()` store on top, made once per store. */
  readonly #merged = new WeakMap<Tags, Tags>();

  constructor(
    private readonly provider: ProviderId,
    private readonly workflow: string | null,
    private readonly ledger: Ledger | undefined,
    private readonly logger: KeycardLogger,
    private readonly gate: BudgetGate | undefined = undefined,
    private readonly pricing: PricingOptions = {},
    private readonly telemetry: Telemetry | undefined = undefined,
    /** The client's `tags` option, checked and redacted. */
    private readonly clientTags: Tags = NO_TAGS,
  ) {}

  /** Whether requests should say where they were sent (custom prices by gateway). */
  get needsOrigin(): boolean {
    return this.pricing.custom?.needsOrigin === true;
  }

  /** The tags of a call starting now: the client's, with `withTags()`'s on top. */
  tags(): Tags {
    const call = currentTags();
    if (call === undefined || call === NO_TAGS) return this.clientTags;
    if (this.clientTags === NO_TAGS) return call;
    let merged = this.#merged.get(call);
    if (merged === undefined) {
      merged = mergeTags(this.clientTags, call);
      this.#merged.set(call, merged);
    }
    return merged;
  }

  /**
   * Before a request: the budget gate's admission, or the error to answer with
   * (`BudgetExceededError`, or `LedgerUnavailableError` from a budget with `onLedgerDown: 'block'`
   * while the ledger is down). Free when no budget applies.
   */
  admit(secret: Secret, model: string | null): Promise<Admission | Error> | Admission {
    if (this.gate === undefined || !this.gate.active) return NO_ADMISSION;
    return this.gate.admit(secret, model, this.tags());
  }

  /** {@link admit} for a planned request: its model is read only when a budget applies. */
  admitPlan(secret: Secret, plan: RequestPlan): Promise<Admission | Error> | Admission {
    if (this.gate === undefined || !this.gate.active) return NO_ADMISSION;
    return this.gate.admit(secret, plan.model, this.tags());
  }

  /**
   * What records an attempt when it ends, from what is known when it starts; `replayOf` is the key
   * of the attempt it replays, and `attempt` its number in the request.
   */
  attempt(
    start: Pick<FinishedRequest, 'plan' | 'secret' | 'time' | 'startedAt' | 'admission' | 'origin'>,
    attempt: number,
    replayOf: Secret | undefined,
  ): (status: number | null, outcome: UsageOutcome, usage: ResponseUsage | null, stream?: boolean) => void {
    const replay = replayOf === undefined ? undefined : { attempt, ofMaskedId: replayOf.maskedId };
    // Read now: a stream is recorded when it ends, maybe outside the call's `withTags()`.
    const tags = this.tags();
    return (status, outcome, usage, stream = false) =>
      this.record({ ...start, status, outcome, usage, stream, replay, tags });
  }

  record(request: FinishedRequest): void {
    const usage = request.usage ?? NO_USAGE;
    const event: UsageEvent = {
      time: request.time,
      provider: this.provider,
      operation: request.plan.operation,
      model: usage.model ?? request.plan.model,
      keyFingerprint: request.secret.fingerprint,
      maskedId: request.secret.maskedId,
      workflow: this.workflow,
      tags: request.tags ?? this.tags(),
      inputTokens: usage.inputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      outputTokens: usage.outputTokens,
      reasoningTokens: usage.reasoningTokens,
      requests: 1,
      costUsd: null,
      pricing: null,
      latencyMs: Math.round((performance.now() - request.startedAt) * 100) / 100,
      outcome: request.outcome,
      status: request.status,
      stream: request.stream,
    };
    // Custom prices match the model requested too, and the gateway the call went to.
    const input =
      this.pricing.custom === undefined
        ? event
        : { ...event, requestedModel: request.plan.model, origin: request.origin ?? this.pricing.origin };
    const priced = priceCallSync(input, this.pricing);
    if (priced !== undefined) this.#finish(event, priced, request.admission ?? NO_ADMISSION, request.replay);
    else {
      // The price data is still loading (the first priced call of the process): record when it is.
      trackPending(
        priceCall(input, this.pricing).then((late) =>
          this.#finish(event, late, request.admission ?? NO_ADMISSION, request.replay),
        ),
      );
    }
  }

  #finish(draft: UsageEvent, priced: PricedCost, admission: Admission, replay: Replay | undefined): void {
    const event: UsageEvent = { ...draft, costUsd: priced.costUsd, pricing: priced.pricing };
    if (event.costUsd === null && event.outcome === 'ok' && event.model !== null) {
      const id = `${event.provider}:${event.model}`;
      if (!this.#unpriced.has(id)) {
        this.#unpriced.add(id);
        this.logger.warn(
          `keycard: no price is known for ${event.provider} model ${event.model}; its calls are recorded with their tokens and no cost.`,
          { provider: event.provider, model: event.model },
        );
      }
    }
    try {
      const ledger = this.ledger as
        | (Ledger & { record(event: UsageEvent, releases?: readonly string[]): void })
        | undefined;
      ledger?.record(event, admission.releases);
    } catch (error) {
      this.logger.warn('keycard: the ledger could not record a usage event', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    try {
      this.telemetry?.(event, replay);
    } catch {
      // Telemetry never breaks a call.
    }
    if (this.gate !== undefined && admission.checks.length > 0) {
      trackPending(this.gate.settle(admission, event).catch(() => undefined));
    }
    if (this.logger.debugEnabled?.() === false) return;
    const cost = event.costUsd === null ? '-' : `$${event.costUsd.toFixed(6)}`;
    this.logger.debug(
      `keycard ${event.provider} ${event.operation} ${event.model ?? '-'} ${event.maskedId} ${event.outcome} ${event.status ?? '-'} ${event.latencyMs}ms in=${event.inputTokens ?? '-'} out=${event.outputTokens ?? '-'} cost=${cost}`,
      {
        provider: event.provider,
        operation: event.operation,
        model: event.model,
        maskedId: event.maskedId,
        fingerprint: event.keyFingerprint,
        workflow: event.workflow,
        ...(event.tags === NO_TAGS ? {} : { tags: event.tags }),
        status: event.status,
        outcome: event.outcome,
        latencyMs: event.latencyMs,
        inputTokens: event.inputTokens,
        cachedInputTokens: event.cachedInputTokens,
        outputTokens: event.outputTokens,
        reasoningTokens: event.reasoningTokens,
        costUsd: event.costUsd,
        stream: event.stream,
      },
    );
  }
}
