/**
 * What the simulators of OpenAI-compatible services (Groq, OpenRouter, DeepSeek) share: OpenAI's
 * wire format and routes, without the `openai-organization` and `openai-project` headers only
 * OpenAI sends, plus each service's own errors, extra `GET` routes and headers.
 * @module
 */
import type { ProviderId } from '../providers/ids.js';
import { openaiSimulator } from './openai.js';
import { json, withoutOpenAIHeaders } from './openai-wire.js';
import type { HttpFault, ProviderSimulator, SimulatedResponse, SimulatorContext } from './types.js';

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
      const answer = withoutOpenAIHeaders(await openaiSimulator.handle(request, context));
      if (answer.events === undefined || spec.streamPreamble === undefined) return answer;
      return { ...answer, events: [...spec.streamPreamble, ...answer.events] };
    },
  };
}
