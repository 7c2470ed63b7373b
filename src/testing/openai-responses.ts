/**
 * The OpenAI simulator's Responses API: `POST /v1/responses`, plain and streamed (the full event
 * sequence from `response.created` to `response.completed`).
 * @module
 */

import {
  idOf,
  type Json,
  json,
  limitOf,
  NO_MODEL,
  now,
  pieces,
  promptMessage,
  promptOf,
  streamResponse,
  successHeaders,
  usageOf,
} from './openai-wire.js';
import { complete, type PromptMessage } from './tokens.js';
import type { SimulatedResponse, SimulatorContext } from './types.js';

function responsesInput(body: Json): PromptMessage[] {
  const messages: PromptMessage[] = [];
  const instructions = body['instructions'];
  if (typeof instructions === 'string' && instructions !== '') {
    messages.push({ role: 'developer', text: instructions, images: 0 });
  }
  const input = body['input'];
  if (typeof input === 'string') messages.push({ role: 'user', text: input, images: 0 });
  else if (Array.isArray(input)) {
    for (const item of input) {
      const message = promptMessage(item);
      if (message !== undefined) messages.push(message);
    }
  }
  return messages;
}

export function responses(body: Json, context: SimulatorContext): SimulatedResponse {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return NO_MODEL();
  const prompt = promptOf(responsesInput(body), body['tools']);
  const maxOutputTokens = limitOf(body, 'max_output_tokens');
  const completion = complete(model, prompt.lastUserText, maxOutputTokens);
  const usage = usageOf(prompt, completion);
  const id = idOf(context);
  const reasoningItem =
    completion.reasoningTokens > 0 ? [{ id: `rs_${id}`, type: 'reasoning', summary: [] }] : [];
  const textPart = { type: 'output_text', text: completion.text, annotations: [], logprobs: [] };
  const message = {
    id: `msg_${id}`,
    type: 'message',
    status: completion.finishReason === 'stop' ? 'completed' : 'incomplete',
    role: 'assistant',
    content: [textPart],
  };
  const incomplete = completion.finishReason === 'length';
  const response = (status: 'in_progress' | 'completed' | 'incomplete', done: boolean): Json => ({
    id: `resp_${id}`,
    object: 'response',
    created_at: now(),
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: typeof body['instructions'] === 'string' ? body['instructions'] : null,
    max_output_tokens: maxOutputTokens ?? null,
    model,
    output: done ? [...reasoningItem, message] : [],
    parallel_tool_calls: true,
    previous_response_id:
      typeof body['previous_response_id'] === 'string' ? body['previous_response_id'] : null,
    reasoning: { effort: reasoningItem.length > 0 ? 'medium' : null, summary: null },
    service_tier: 'default',
    store: body['store'] !== false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: done
      ? {
          input_tokens: usage.inputTokens,
          input_tokens_details: { cached_tokens: usage.cachedInputTokens },
          output_tokens: usage.outputTokens,
          output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
          total_tokens: usage.inputTokens + usage.outputTokens,
        }
      : null,
    user: null,
    metadata: {},
  });
  const final = incomplete ? 'incomplete' : 'completed';

  if (body['stream'] !== true) {
    return { ...json(200, response(final, true), successHeaders(usage.inputTokens)), usage };
  }

  // The real event sequence, each as `event: <type>` plus `data: <json with type and sequence_number>`.
  let sequence = 0;
  const event = (type: string, fields: Json): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`;
  const messageIndex = reasoningItem.length;
  const events: string[] = [
    event('response.created', { response: response('in_progress', false) }),
    event('response.in_progress', { response: response('in_progress', false) }),
  ];
  for (const item of reasoningItem) {
    events.push(event('response.output_item.added', { output_index: 0, item }));
    events.push(event('response.output_item.done', { output_index: 0, item }));
  }
  const at = { item_id: message.id, output_index: messageIndex, content_index: 0 };
  events.push(
    event('response.output_item.added', {
      output_index: messageIndex,
      item: { ...message, status: 'in_progress', content: [] },
    }),
    event('response.content_part.added', { ...at, part: { ...textPart, text: '' } }),
    ...pieces(completion.text).map((delta) =>
      event('response.output_text.delta', { ...at, delta, logprobs: [] }),
    ),
    event('response.output_text.done', { ...at, text: completion.text, logprobs: [] }),
    event('response.content_part.done', { ...at, part: textPart }),
    event('response.output_item.done', { output_index: messageIndex, item: message }),
    event(`response.${final}`, { response: response(final, true) }),
  );
  return streamResponse(usage, events);
}
