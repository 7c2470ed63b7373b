/**
 * OpenTelemetry with the real SDK (in-memory exporters): a span per call with the GenAI
 * attribute names, and the token-usage and duration histograms. Through the real OpenAI SDK
 * against the simulator.
 */
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { withTags } from '../../src/ledger/tags.js';
import { maskKey } from '../../src/secret.js';
import { startSimulator } from '../../src/testing/index.js';
import { openAIFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';

const spans = new InMemorySpanExporter();
const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 3_600_000,
});

beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});

afterAll(() => {
  trace.disable();
  metrics.disable();
});

describe('OpenTelemetry', () => {
  it('reports a span per call and the GenAI token histogram', async () => {
    const fixture = await openAIFixture({ client: { workflow: 'otel', tags: { team: 'obs' } } });
    try {
      await withTags({ user: 'u1' }, () =>
        fixture.client.sdk.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'trace me' }],
        }),
      );
      fixture.simulator.failNext('unauthorized');
      await fixture.client.sdk.models.list().catch(() => undefined);
      const event = (await fixture.events()).find((recorded) => recorded.operation === 'chat.completions');
      const finished = spans.getFinishedSpans();
      // In order of recording: the first priced call may wait for the price data to load.
      expect(finished.map((span) => span.name).sort()).toEqual(['chat gpt-4o-mini', 'models.list']);
      const chat = finished.find((span) => span.name === 'chat gpt-4o-mini');
      const failed = finished.find((span) => span.name === 'models.list');
      expect(chat?.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': event?.inputTokens,
        'gen_ai.usage.output_tokens': event?.outputTokens,
        'keycard.key.fingerprint': fixture.client.fingerprint,
        'keycard.workflow': 'otel',
        'keycard.tag.team': 'obs',
        'keycard.tag.user': 'u1',
        'keycard.cost.usd': event?.costUsd,
      });
      expect(failed?.attributes['keycard.tag.team']).toBe('obs');
      expect(failed?.attributes['keycard.tag.user']).toBeUndefined();
      expect(JSON.stringify(chat?.attributes)).not.toContain(fixture.key);
      expect(failed?.attributes['error.type']).toBe('unauthorized');
      const { resourceMetrics } = await reader.collect();
      const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
      const tokens = all.find((metric) => metric.descriptor.name === 'gen_ai.client.token.usage');
      expect(tokens?.descriptor.unit).toBe('{token}');
      const points = (tokens?.dataPoints ?? []) as Array<{
        attributes: Record<string, unknown>;
        value: { sum?: number };
      }>;
      const input = points.find((point) => point.attributes['gen_ai.token.type'] === 'input');
      expect(input?.value.sum).toBe(event?.inputTokens);
      expect(input?.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
      });
      expect(all.some((metric) => metric.descriptor.name === 'gen_ai.client.operation.duration')).toBe(true);
    } finally {
      await fixture.close();
    }
  });

  it('marks an attempt that replays a request on the next key of a pool (fetch and meter paths)', async () => {
    const keyA = testKey('openai', 'otel-a');
    const keyB = testKey('openai', 'otel-b');
    const botA = testKey('telegram', 'otel-a');
    const botB = testKey('telegram', 'otel-b');
    const sim = await startSimulator({ keys: [keyA, keyB, botA, botB] });
    const pooled = <P extends 'openai' | 'telegram'>(provider: P, members: string[]) =>
      createClient(provider, keys.pool(members.map((key) => keys.literal(key))), {
        baseURL: sim.baseURL(provider),
        ledger: false,
        maxRetries: 0,
      });
    try {
      const openai = await pooled('openai', [keyA, keyB]);
      const telegram = await pooled('telegram', [botA, botB]);
      spans.reset();
      sim.failNext('quota', { key: keyA });
      await openai.sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      sim.revokeKey(botA);
      await telegram.sdk.getMe();
      // Price data may make spans end out of order: compared by key.
      const attempts = spans
        .getFinishedSpans()
        .map((span) => [
          span.attributes['keycard.key.masked_id'],
          span.attributes['error.type'],
          span.attributes['keycard.attempt'],
          span.attributes['keycard.replay_of.masked_id'],
        ])
        .sort((left, right) => String(left[0]).localeCompare(String(right[0])));
      expect(attempts).toEqual(
        [
          [maskKey(keyA), 'quota_exceeded', undefined, undefined],
          [maskKey(keyB), undefined, 2, maskKey(keyA)],
          [maskKey(botA), 'unauthorized', undefined, undefined],
          [maskKey(botB), undefined, 2, maskKey(botA)],
        ].sort((left, right) => String(left[0]).localeCompare(String(right[0]))),
      );
      const all = JSON.stringify(spans.getFinishedSpans().map((span) => span.attributes));
      for (const key of [keyA, keyB, botA, botB]) expect(all).not.toContain(key);
      await openai.close();
      await telegram.close();
    } finally {
      await sim.close();
    }
  });

  it('reports nothing when telemetry is off', async () => {
    spans.reset();
    const fixture = await openAIFixture({ client: { telemetry: false } });
    try {
      await fixture.client.sdk.models.list();
      expect(spans.getFinishedSpans()).toHaveLength(0);
    } finally {
      await fixture.close();
    }
  });
});
