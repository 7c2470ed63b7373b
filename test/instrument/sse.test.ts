import { describe, expect, it } from 'vitest';
import { meterEventStream } from '../../src/instrument/sse.js';
import type { StreamUsageReader } from '../../src/providers/types.js';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

function collectingReader(drop: (data: string) => boolean = () => false) {
  const seen: Array<{ data: string; event: string | undefined }> = [];
  const reader: StreamUsageReader = {
    onEvent(data, event) {
      seen.push({ data, event });
      return !drop(data);
    },
    result: () => ({
      model: null,
      inputTokens: seen.length,
      cachedInputTokens: null,
      cacheWriteTokens: null,
      outputTokens: null,
      reasoningTokens: null,
    }),
  };
  return { reader, seen };
}

describe('meterEventStream', () => {
  it('hands every event to the reader and forwards the bytes unchanged, across chunk boundaries', async () => {
    const raw = 'event: a\ndata: {"x":1}\n\ndata: {"y"\ndata: :2}\n\r\n\r\ndata: [DONE]\n\n';
    const chunks = [raw.slice(0, 7), raw.slice(7, 30), raw.slice(30, 31), raw.slice(31)];
    const { reader, seen } = collectingReader();
    let ended: string | undefined;
    const out = await new Response(meterEventStream(streamOf(chunks), reader, (end) => (ended = end))).text();
    expect(out).toBe(raw);
    expect(seen).toEqual([
      { data: '{"x":1}', event: 'a' },
      { data: '{"y"\n:2}', event: undefined },
      { data: '[DONE]', event: undefined },
    ]);
    expect(ended).toBe('completed');
  });

  it('drops events the reader refuses', async () => {
    const { reader } = collectingReader((data) => data === 'drop');
    const out = await new Response(
      meterEventStream(streamOf(['data: keep\n\ndata: drop\n\ndata: last\n\n']), reader, () => undefined),
    ).text();
    expect(out).toBe('data: keep\n\ndata: last\n\n');
  });

  it('reports a cancelled stream as not completed, once', async () => {
    const { reader } = collectingReader();
    const ends: string[] = [];
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
    });
    const metered = meterEventStream(endless, reader, (end) => ends.push(end));
    const streamReader = metered.getReader();
    await streamReader.read();
    await streamReader.cancel();
    expect(ends).toEqual(['cancelled']);
  });

  it('reports a failed stream as not completed', async () => {
    const { reader } = collectingReader();
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('boom'));
      },
    });
    const ends: string[] = [];
    await expect(
      new Response(meterEventStream(failing, reader, (end) => ends.push(end))).text(),
    ).rejects.toThrow('boom');
    expect(ends).toEqual(['failed']);
  });
});
