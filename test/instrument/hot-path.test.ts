/**
 * The hot path hands the SDK the provider's own answer, not a rebuilt one, and meters it however
 * the body is read: by the SDK (`json()`, `for await`), or by the caller through `asResponse()`
 * (`text()`, `arrayBuffer()`, `blob()`, `getReader()`, `pipeThrough()`), every way giving the bytes
 * the provider sent. Real SDKs against the simulators.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/ledger/types.js';
import { clientFixture, type OpenAIFixture, openAIFixture } from '../helpers/fixture.js';

let fixture: OpenAIFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const messages = [{ role: 'user' as const, content: 'Say hello' }];

/** The events once the ledger has them. */
async function settled(events: () => Promise<UsageEvent[]>, count: number): Promise<UsageEvent[]> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const all = await events();
    if (all.length >= count) return all;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return events();
}

describe('a JSON answer', () => {
  it('is the provider answer itself, headers and url intact, and its body reads every way', async () => {
    fixture = await openAIFixture();
    const sdk = fixture.client.sdk;
    const readers = [
      async (response: Response) => JSON.parse(await response.text()) as { usage: unknown },
      async (response: Response) =>
        JSON.parse(new TextDecoder().decode(await response.arrayBuffer())) as { usage: unknown },
      async (response: Response) => JSON.parse(await (await response.blob()).text()) as { usage: unknown },
      async (response: Response) => (await response.json()) as { usage: unknown },
    ];
    for (const read of readers) {
      const response = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.url).toContain('/chat/completions');
      expect(response.bodyUsed).toBe(false);
      const body = await read(response);
      expect(body.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
      expect(response.bodyUsed).toBe(true);
      await expect(response.text()).rejects.toThrow(TypeError);
    }
    const events = await settled(() => fixture!.events(), readers.length);
    expect(events).toHaveLength(readers.length);
    const tally = fixture.simulator.tally().byProvider.openai;
    expect(events.reduce((sum, event) => sum + (event.inputTokens ?? 0), 0)).toBe(tally?.inputTokens);
    expect(events.every((event) => event.outcome === 'ok')).toBe(true);
  });

  it('parsed once: the SDK gets the object keycard read usage from', async () => {
    fixture = await openAIFixture();
    const { data, response } = await fixture.client.sdk.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    expect(response.status).toBe(200);
    const [event] = await settled(() => fixture!.events(), 1);
    expect(event?.inputTokens).toBe(data.usage?.prompt_tokens);
    expect(event?.outputTokens).toBe(data.usage?.completion_tokens);
  });
});

describe('a streamed answer', () => {
  const streamed = async (read: (response: Response) => Promise<string>) => {
    fixture = await openAIFixture();
    const response = await fixture.client.sdk.chat.completions
      .create({ model: 'gpt-4o-mini', messages, stream: true })
      .asResponse();
    const text = await read(response);
    const [event] = await settled(() => fixture!.events(), 1);
    return { text, event, tally: fixture.simulator.tally().byProvider.openai };
  };

  it.each([
    ['text()', (response: Response) => response.text()],
    [
      'getReader()',
      async (response: Response) => {
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          text += decoder.decode(read.value, { stream: true });
        }
        return text;
      },
    ],
    [
      'pipeThrough()',
      async (response: Response) => {
        let text = '';
        for await (const part of response.body!.pipeThrough(new TextDecoderStream())) text += part;
        return text;
      },
    ],
    [
      'for await',
      async (response: Response) => {
        const decoder = new TextDecoder();
        let text = '';
        for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
          text += decoder.decode(bytes, { stream: true });
        }
        return text;
      },
    ],
  ])('is metered when read with %s, and the usage chunk keycard asked for is hidden', async (_, read) => {
    const { text, event, tally } = await streamed(read);
    expect(text).toContain('data: [DONE]');
    // keycard asked for usage; the caller did not, and does not see it.
    expect(text).not.toMatch(/"usage":\{/);
    expect(event?.stream).toBe(true);
    expect(event?.outcome).toBe('ok');
    expect(event?.inputTokens).toBe(tally?.inputTokens);
    expect(event?.outputTokens).toBe(tally?.outputTokens);
  });

  it('stopped early by the SDK consumer is recorded once, as served', async () => {
    fixture = await openAIFixture();
    const stream = await fixture.client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    for await (const _ of stream) break;
    const events = await settled(() => fixture!.events(), 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await fixture.events()).toHaveLength(1);
    expect(events[0]?.outcome).toBe('ok');
  });
});

describe('anthropic', () => {
  it('meters a JSON answer and a stream through the SDK', async () => {
    const anthropic = await clientFixture('anthropic');
    try {
      await anthropic.client.sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages });
      const stream = await anthropic.client.sdk.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 16,
        messages,
        stream: true,
      });
      for await (const _ of stream);
      const events = await settled(() => anthropic.events(), 2);
      const tally = anthropic.simulator.tally().byProvider.anthropic;
      expect(events.map((event) => event.stream)).toEqual([false, true]);
      expect(events.reduce((sum, event) => sum + (event.outputTokens ?? 0), 0)).toBe(tally?.outputTokens);
      expect(events.reduce((sum, event) => sum + (event.inputTokens ?? 0), 0)).toBe(tally?.inputTokens);
    } finally {
      await anthropic.close();
    }
  });
});
