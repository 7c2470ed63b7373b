import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/testing/index.js';
import { cachedTokens, complete, countTokens, promptTokens, replyText } from '../../src/testing/tokens.js';
import { testKey } from '../helpers/keys.js';

const key = testKey('openai', 'simulator-openai');
let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ keys: [key] });
  client = new OpenAI({ apiKey: key, baseURL: sim.baseURL('openai'), maxRetries: 0, logLevel: 'off' });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const question = 'What is the capital of France and why is it famous?';
const user = (content: string) => ({ role: 'user' as const, content });
/** Long enough (≥ 64 prompt tokens) for the cache rule to apply. */
const longSystem = `You are a careful assistant. ${'Answer briefly and cite nothing. '.repeat(8)}`;

describe('chat completions', () => {
  it('answers with deterministic text and usage that the tally matches', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [user(question)],
    });
    const prompt = promptTokens([{ role: 'user', text: question, images: 0 }]);
    expect(prompt).toBe(3 + 3 + 13); // 52 characters → 13 tokens
    const reply = replyText(question);
    expect(reply).toBe('Simulated reply: What is the capital of France and why');
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: reply });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: prompt,
      completion_tokens: countTokens(reply),
      total_tokens: prompt + countTokens(reply),
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    const { total } = sim.tally();
    expect(total).toMatchObject({
      requests: 1,
      inputTokens: prompt,
      cachedInputTokens: 0,
      outputTokens: countTokens(reply),
      reasoningTokens: 0,
    });
  });

  it('reports cached tokens for long prompts and reasoning tokens for o-models', async () => {
    const completion = await client.chat.completions.create({
      model: 'o3-mini',
      messages: [{ role: 'system', content: longSystem }, user(question)],
    });
    const usage = completion.usage!;
    const prompt = promptTokens([
      { role: 'system', text: longSystem, images: 0 },
      { role: 'user', text: question, images: 0 },
    ]);
    expect(prompt).toBeGreaterThanOrEqual(64);
    expect(usage.prompt_tokens).toBe(prompt);
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(cachedTokens(prompt));
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(Math.floor(prompt / 2));
    const visible = countTokens(replyText(question));
    expect(usage.completion_tokens_details?.reasoning_tokens).toBe(4 * visible);
    expect(usage.completion_tokens).toBe(5 * visible);
    expect(sim.tally().byModel['o3-mini']).toMatchObject({
      inputTokens: prompt,
      cachedInputTokens: cachedTokens(prompt),
      outputTokens: 5 * visible,
      reasoningTokens: 4 * visible,
    });
  });

  it('cuts the reply at max_completion_tokens with finish_reason length', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [user(question)],
      max_completion_tokens: 3,
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.choices[0]?.message.content).toBe('Simulated re');
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(complete('gpt-4o-mini', question, 3).outputTokens).toBe(3);
  });

  it('streams without usage unless include_usage is set', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [user(question)],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(replyText(question));
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.every((chunk) => chunk.usage === undefined)).toBe(true);
    // The server served the tokens all the same.
    expect(sim.tally().total.outputTokens).toBe(countTokens(replyText(question)));
    expect(sim.requests[0]?.stream).toBe(true);
  });

  it('streams a final usage chunk with no choices when include_usage is set', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [user(question)],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 19,
      completion_tokens: countTokens(replyText(question)),
    });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it("works with the SDK's stream helper and finalChatCompletion()", async () => {
    const stream = client.chat.completions.stream({
      model: 'o4-mini',
      messages: [user(question)],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(replyText(question));
    expect(deltas.join('')).toBe(replyText(question));
    expect(final.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
    expect(final.usage?.completion_tokens).toBe(sim.tally().total.outputTokens);
  });

  it('counts multi-part content, images and tools', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe this' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    });
    expect(completion.usage?.prompt_tokens).toBe(3 + 3 + countTokens('Describe this') + 85);
    expect(completion.choices[0]?.message.content).toBe('Simulated reply: Describe this');
  });

  it('answers bad requests with OpenAI 400 bodies', async () => {
    const missingModel = client.chat.completions.create({ messages: [user('x')] } as never);
    await expect(missingModel).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
    ).rejects.toMatchObject({ status: 400, code: 'missing_required_parameter', param: 'messages' });
    const raw = await fetch(`${sim.baseURL('openai')}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"model": "gpt-4o-mini", ',
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: { message: string; type: string } };
    expect(body.error.message).toMatch(/^We could not parse the JSON body of your request/);
    expect(body.error.type).toBe('invalid_request_error');
    expect(sim.tally().total).toMatchObject({ requests: 3, inputTokens: 0, errors: { 400: 3 } });
  });
});

describe('responses', () => {
  it('answers with output_text and responses-style usage', async () => {
    const response = await client.responses.create({
      model: 'gpt-4o-mini',
      instructions: longSystem,
      input: question,
    });
    const prompt = promptTokens([
      { role: 'developer', text: longSystem, images: 0 },
      { role: 'user', text: question, images: 0 },
    ]);
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.model).toBe('gpt-4o-mini');
    expect(response.output_text).toBe(replyText(question));
    expect(response.usage).toMatchObject({
      input_tokens: prompt,
      input_tokens_details: { cached_tokens: cachedTokens(prompt) },
      output_tokens: countTokens(replyText(question)),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: prompt + countTokens(replyText(question)),
    });
    expect(sim.tally().total).toMatchObject({ inputTokens: prompt, cachedInputTokens: cachedTokens(prompt) });
  });

  it('reads message-list input and puts a reasoning item first for o-models', async () => {
    const response = await client.responses.create({
      model: 'o3-mini',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'first question' }] },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: 'second question please' },
      ],
    });
    expect(response.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(response.output_text).toBe('Simulated reply: second question please');
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBe(
      4 * countTokens('Simulated reply: second question please'),
    );
  });

  it("works with the SDK's responses.stream() helper, usage in response.completed", async () => {
    const stream = client.responses.stream({ model: 'o4-mini', input: question });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    const final = await stream.finalResponse();
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe(replyText(question));
    expect(final.output_text).toBe(replyText(question));
    const { total } = sim.tally();
    expect(final.usage).toMatchObject({
      input_tokens: total.inputTokens,
      output_tokens: total.outputTokens,
      output_tokens_details: { reasoning_tokens: total.reasoningTokens },
    });
    expect(total.reasoningTokens).toBeGreaterThan(0);
  });

  it('sends event: lines and no [DONE] on the raw stream', async () => {
    const raw = await fetch(`${sim.baseURL('openai')}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', stream: true }),
    });
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await raw.text();
    expect(
      text.startsWith('event: response.created\ndata: {"type":"response.created","sequence_number":0'),
    ).toBe(true);
    expect(text).toContain('event: response.completed\n');
    expect(text).not.toContain('[DONE]');
  });

  it('reports an incomplete response when max_output_tokens cuts it', async () => {
    const response = await client.responses.create({
      model: 'gpt-4o-mini',
      input: question,
      max_output_tokens: 2,
    });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details?.reason).toBe('max_output_tokens');
    expect(response.usage?.output_tokens).toBe(2);
  });
});

describe('embeddings', () => {
  it('returns deterministic float vectors (SDK default: base64 on the wire)', async () => {
    const result = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['alpha', 'beta gamma'],
    });
    expect(result.data).toHaveLength(2);
    const [first, second] = result.data;
    expect(first?.embedding).toHaveLength(1536);
    expect(first?.embedding.every((value) => typeof value === 'number' && Number.isFinite(value))).toBe(true);
    const norm = Math.sqrt(first!.embedding.reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(first?.embedding).not.toEqual(second?.embedding);
    expect(result.usage).toEqual({ prompt_tokens: 2 + 3, total_tokens: 5 });
    expect(sim.requests[0]?.headers['content-type']).toBe('application/json');

    const again = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha' });
    expect(again.data[0]?.embedding).toEqual(first?.embedding);
    // An explicit float request gets the very same numbers as JSON.
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'alpha',
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toEqual(first?.embedding);
    expect(sim.tally().byModel['text-embedding-3-small']).toMatchObject({
      requests: 3,
      inputTokens: 5 + 2 + 2,
      outputTokens: 0,
    });
  });

  it('honours dimensions and the large model size', async () => {
    const small = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'x',
      dimensions: 8,
    });
    expect(small.data[0]?.embedding).toHaveLength(8);
    const large = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x' });
    expect(large.data[0]?.embedding).toHaveLength(3072);
  });
});

describe('models', () => {
  it('lists models and names the organisation and project in headers', async () => {
    const { data, response } = await client.models.list().withResponse();
    expect(data.data.map((model) => model.id)).toContain('gpt-4o-mini');
    expect(data.data[0]).toMatchObject({ object: 'model', owned_by: 'system' });
    expect(response.headers.get('openai-organization')).toBe('org-simulated');
    expect(response.headers.get('openai-project')).toBe('proj_simulated');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(sim.tally().total).toMatchObject({ requests: 1, inputTokens: 0 });
    expect(sim.requests[0]?.model).toBeNull();
  });

  it('retrieves a known model and 404s an unknown one', async () => {
    const model = await client.models.retrieve('o3-mini');
    expect(model.id).toBe('o3-mini');
    await expect(client.models.retrieve('gpt-nonexistent')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    expect(sim.requests.map((request) => request.model)).toEqual(['o3-mini', 'gpt-nonexistent']);
  });

  it('answers an unknown path with an OpenAI-style 404', async () => {
    const error = await client.get('/no/such/thing').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).message).toBe(
      '404 Invalid URL (GET /v1/no/such/thing)',
    );
  });
});
