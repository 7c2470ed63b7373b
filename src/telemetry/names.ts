/**
 * OpenTelemetry names keycard uses, in one place: the GenAI semantic conventions (experimental
 * upstream, so copied here as strings rather than imported from the incubating entry point) and
 * keycard's own attributes.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';

export const ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  tokenType: 'gen_ai.token.type',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheCreationTokens: 'gen_ai.usage.cache_creation.input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
  errorType: 'error.type',
  httpStatus: 'http.response.status_code',
  keyFingerprint: 'keycard.key.fingerprint',
  keyMaskedId: 'keycard.key.masked_id',
  workflow: 'keycard.workflow',
  /** A call's tags: `keycard.tag.team`, … (one attribute per tag). */
  tagPrefix: 'keycard.tag.',
  costUsd: 'keycard.cost.usd',
  operation: 'keycard.operation',
  /** On a replayed attempt only: its number in the request (2 for the first replay). */
  attempt: 'keycard.attempt',
  /** On a replayed attempt only: the masked id of the key of the attempt it replays. */
  replayOf: 'keycard.replay_of.masked_id',
} as const;

/** The bucket boundaries the conventions advise for `gen_ai.client.token.usage`. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

export const METRIC = {
  tokenUsage: 'gen_ai.client.token.usage',
  operationDuration: 'gen_ai.client.operation.duration',
} as const;

/** `gen_ai.provider.name` values; Slack and Telegram are not GenAI providers. */
export const GEN_AI_PROVIDER: Partial<Record<ProviderId, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  xai: 'x_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  mistral: 'mistral_ai',
};

/** Sets a registered provider's `gen_ai.provider.name`. @internal */
export function addTelemetryName(provider: ProviderId, name: string): void {
  GEN_AI_PROVIDER[provider] = name;
}

/** keycard's operation names → `gen_ai.operation.name`. */
export function genAiOperation(operation: string): string {
  if (/embed/i.test(operation)) return 'embeddings';
  if (/generate(content)?|generateContent/i.test(operation)) return 'generate_content';
  if (/^completions$/.test(operation)) return 'text_completion';
  if (/chat|messages|responses/i.test(operation)) return 'chat';
  return operation;
}
