/**
 * What the simulators of OpenAI-compatible services (Groq, OpenRouter, DeepSeek, Together,
 * Mistral) share: OpenAI's wire format and routes, without the `openai-organization` and
 * `openai-project` headers only OpenAI sends, plus each service's own errors, extra `GET` routes
 * and headers, fields it refuses, and where its streams carry their usage.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import { openaiSimulator } from './openai.js';
import { asObject, json, withoutOpenAIHeaders } from './openai-wire.js';
import type {
  HttpFault,
  ProviderSimulator,
  SimulatedResponse,
  SimulatorContext,
  SimulatorRequest,
} from './types.js';

/** What differs between the simulators of OpenAI-compatible services. */
export interface CompatibleSimulatorSpec {
  id: ProviderId;
  /** The service's answer for a fault; `undefined` (for `bad_json`) takes OpenAI's. */
  fail(fault: HttpFault, context: SimulatorContext): SimulatedResponse | undefined;
  /** JSON bodies of `GET` routes under the API root (`/v1/models`, `/v1/key`), by path. */
  get: Readonly<Record<string, (context: SimulatorContext) => unknown>>;
  /** Headers on every answer. */
  headers(context: SimulatorContext): Record<string, string>;
  /** Frames sent before a stream's first event (OpenRouter's processing comment). */
  streamPreamble?: readonly string[];
  /** The service's answer to a request it refuses before reading it (a field it does not take). */
  refuse?(request: SimulatorRequest, context: SimulatorContext): SimulatedResponse | undefined;
  /**
   * Chat streams carry their usage in the last chunk (the one with the finish reason), always,
   * instead of in an extra chunk when `stream_options.include_usage` asks for it (Mistral).
   */
  usageInLastChunk?: boolean;
}

/** A chat stream request, asking OpenAI's simulator for the usage chunk that `lastChunkUsage` moves. */
function askingUsage(request: SimulatorRequest): SimulatorRequest {
  const body = asObject(request.json);
  if (request.path !== '/v1/chat/completions' || body?.['stream'] !== true) return request;
  return { ...request, json: { ...body, stream_options: { include_usage: true } } };
}

/**
 * OpenAI's stream with the usage chunk asked for, as a service that always sends usage in its last
 * chunk sends it: no `usage: null` on the other chunks, the usage on the last chunk with choices.
 */
function lastChunkUsage(events: readonly string[]): string[] {
  const chunks = events.map((event) => {
    const data = /^data: (\{.*\})\n\n$/s.exec(event)?.[1];
    return data === undefined ? undefined : asObject(JSON.parse(data));
  });
  const usageAt = chunks.findIndex(
    (chunk) => Array.isArray(chunk?.['choices']) && chunk['choices'].length === 0,
  );
  const usage = chunks[usageAt]?.['usage'];
  const out: string[] = [];
  chunks.forEach((chunk, index) => {
    if (index === usageAt) return;
    if (chunk === undefined) {
      out.push(events[index] ?? '');
      return;
    }
    const { usage: _none, ...rest } = chunk;
    out.push(`data: ${JSON.stringify(index === usageAt - 1 ? { ...rest, usage } : rest)}\n\n`);
  });
  return out;
}

/** A simulator that speaks OpenAI's API as the service `spec` describes does. */
export function compatibleSimulator(spec: CompatibleSimulatorSpec): ProviderSimulator {
  return {
    ...openaiSimulator,
    id: spec.id,
    commonHeaders: spec.headers,
    fail(fault, request, context) {
      return spec.fail(fault, context) ?? withoutOpenAIHeaders(openaiSimulator.fail(fault, request, context));
    },
    async handle(request, context) {
      const route = request.method === 'GET' ? spec.get[request.path] : undefined;
      if (route !== undefined) return json(200, route(context));
      const refused = spec.refuse?.(request, context);
      if (refused !== undefined) return refused;
      const lastChunk = spec.usageInLastChunk === true;
      let answer = withoutOpenAIHeaders(
        await openaiSimulator.handle(lastChunk ? askingUsage(request) : request, context),
      );
      if (lastChunk && answer.events !== undefined && request.path === '/v1/chat/completions') {
        answer = { ...answer, events: lastChunkUsage(answer.events) };
      }
      if (answer.events === undefined || spec.streamPreamble === undefined) return answer;
      return { ...answer, events: [...spec.streamPreamble, ...answer.events] };
    },
  };
}
