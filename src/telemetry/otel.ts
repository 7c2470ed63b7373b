/**
 * OpenTelemetry, when `@opentelemetry/api` is installed: a span per call and the
 * `gen_ai.client.token.usage` and `gen_ai.client.operation.duration` histograms, with the GenAI
 * semantic-convention attribute names. Without an SDK registered, the API does nothing, cheaply;
 * without the package, keycard does not load it at all.
 * @module
 */

import { importOptional } from '../import-optional.js';
import type { UsageEvent } from '../ledger/types.js';
import { ATTR, GEN_AI_PROVIDER, genAiOperation, METRIC, TOKEN_BUCKETS } from './names.js';

type OtelApi = typeof import('@opentelemetry/api');

/** An attempt that replays a request after one that failed over (a re-read key, a pool's next key). */
export interface Replay {
  /** This attempt's number in its request: 2 for the first replay. */
  attempt: number;
  /** The masked id of the key of the attempt it replays. */
  ofMaskedId: string;
}

/** Records one finished call. */
export type Telemetry = (event: UsageEvent, replay?: Replay) => void;

let loading: Promise<OtelApi | undefined> | undefined;
/** Set when the load has settled: the API, or `null` when the package is not installed. */
let loaded: OtelApi | null | undefined;

/** The OpenTelemetry API if installed, loaded once. */
function loadApi(): Promise<OtelApi | undefined> {
  loading ??= importOptional<OtelApi>('@opentelemetry/api').then(
    (api) => {
      loaded = api;
      return api;
    },
    () => {
      loaded = null;
      return undefined;
    },
  );
  return loading;
}

/**
 * A telemetry recorder now, with `@opentelemetry/api` loading in the background (importing it
 * takes tens of milliseconds, which `createClient` does not wait for). A call that ends before it
 * has loaded is reported once it has, with its own times, from the async context of the call (so
 * its span keeps its parent). `undefined` when the package is known not to be installed.
 */
export function startTelemetry(): Telemetry | undefined {
  const pending = loadApi();
  if (loaded === null) return undefined;
  let record = loaded === undefined ? undefined : recorderFor(loaded);
  return (event, replay) => {
    if (record !== undefined) {
      record(event, replay);
      return;
    }
    if (loaded === null) return;
    void pending
      .then((api) => {
        if (api === undefined) return;
        record ??= recorderFor(api);
        record(event, replay);
      })
      // Telemetry never breaks a call, nor the process.
      .catch(() => undefined);
  };
}

function recorderFor(api: OtelApi): Telemetry {
  return (event, replay) => {
    const tracer = api.trace.getTracer('keycard');
    const meter = api.metrics.getMeter('keycard');
    const genAiProvider = GEN_AI_PROVIDER[event.provider];
    const operationName = genAiOperation(event.operation);
    const common: Record<string, string | number> = { [ATTR.operationName]: operationName };
    if (genAiProvider !== undefined) common[ATTR.providerName] = genAiProvider;
    else common['keycard.provider'] = event.provider;
    if (event.model !== null) {
      common[ATTR.requestModel] = event.model;
      common[ATTR.responseModel] = event.model;
    }
    const start = event.time.getTime();
    const span = tracer.startSpan(`${operationName}${event.model === null ? '' : ` ${event.model}`}`, {
      kind: api.SpanKind.CLIENT,
      startTime: start,
      attributes: {
        ...common,
        [ATTR.operation]: event.operation,
        [ATTR.keyFingerprint]: event.keyFingerprint,
        [ATTR.keyMaskedId]: event.maskedId,
        ...(event.workflow === null ? {} : { [ATTR.workflow]: event.workflow }),
        ...tagAttributes(event.tags),
        ...(event.inputTokens === null ? {} : { [ATTR.inputTokens]: event.inputTokens }),
        ...(event.outputTokens === null ? {} : { [ATTR.outputTokens]: event.outputTokens }),
        ...(event.cachedInputTokens === null ? {} : { [ATTR.cacheReadTokens]: event.cachedInputTokens }),
        ...(event.cacheWriteTokens === null ? {} : { [ATTR.cacheCreationTokens]: event.cacheWriteTokens }),
        ...(event.reasoningTokens === null ? {} : { [ATTR.reasoningTokens]: event.reasoningTokens }),
        ...(event.costUsd === null ? {} : { [ATTR.costUsd]: event.costUsd }),
        ...(event.status === null ? {} : { [ATTR.httpStatus]: event.status }),
        ...(replay === undefined
          ? {}
          : { [ATTR.attempt]: replay.attempt, [ATTR.replayOf]: replay.ofMaskedId }),
      },
    });
    if (event.outcome !== 'ok') {
      span.setAttribute(ATTR.errorType, event.outcome);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: event.outcome });
    }
    span.end(start + event.latencyMs);
    const withError = event.outcome === 'ok' ? common : { ...common, [ATTR.errorType]: event.outcome };
    meter
      .createHistogram(METRIC.operationDuration, { unit: 's', description: 'GenAI operation duration' })
      .record(event.latencyMs / 1000, withError);
    if (genAiProvider === undefined) return;
    const tokens = meter.createHistogram(METRIC.tokenUsage, {
      unit: '{token}',
      description: 'Measures number of input and output tokens used',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    });
    if (event.inputTokens !== null)
      tokens.record(event.inputTokens, { ...common, [ATTR.tokenType]: 'input' });
    if (event.outputTokens !== null)
      tokens.record(event.outputTokens, { ...common, [ATTR.tokenType]: 'output' });
  };
}

/** A call's tags as span attributes, `keycard.tag.<name>`. */
function tagAttributes(tags: UsageEvent['tags'] | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const key in tags) attributes[`${ATTR.tagPrefix}${key}`] = tags[key] as string;
  return attributes;
}
