/**
 * Turns one finished request into a ledger event and a debug log line.
 * @module
 */
import type { Ledger, UsageEvent, UsageOutcome } from '../ledger/types.js';
import type { ProviderId } from '../providers/ids.js';
import type { RequestPlan, ResponseUsage } from '../providers/types.js';
import type { KeycardLogger } from '../redact/logger.js';
import type { Secret } from '../secret.js';

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
  constructor(
    private readonly provider: ProviderId,
    private readonly workflow: string | null,
    private readonly ledger: Ledger | undefined,
    private readonly logger: KeycardLogger,
  ) {}

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
    try {
      this.ledger?.record(event);
    } catch (error) {
      this.logger.warn('keycard: the ledger could not record a usage event', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.logger.debug(
      `keycard ${event.provider} ${event.operation} ${event.model ?? '-'} ${event.maskedId} ${event.outcome} ${event.status ?? '-'} ${event.latencyMs}ms in=${event.inputTokens ?? '-'} out=${event.outputTokens ?? '-'}`,
      {
        provider: event.provider,
        operation: event.operation,
        model: event.model,
        maskedId: event.maskedId,
        fingerprint: event.keyFingerprint,
        workflow: event.workflow,
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
