import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meterEventBody, meterEventStream } from '../../src/instrument/sse.js';
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

  it('with triggers: the reader sees the first event and the triggered ones, the bytes pass unchanged', async () => {
    const raw =
      'data: {"first":"é"}\n\ndata: {"n":1}\n\ndata: {"n":2,"usage":{"t":3}}\r\n\r\nevent: x\ndata: {"ü":"€"}\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(raw);
    // Every way of cutting the bytes in three (multi-byte characters included) gives the same.
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length }),
        fc.integer({ min: 0, max: bytes.length }),
        async (a, b) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const parts = [bytes.slice(0, from), bytes.slice(from, to), bytes.slice(to)];
          const source = new ReadableStream<Uint8Array>({
            start(controller) {
              for (const part of parts) controller.enqueue(part);
              controller.close();
            },
          });
          const { reader, seen } = collectingReader();
          reader.triggers = ['"usage":{'];
          const out = await new Response(meterEventStream(source, reader, () => undefined)).text();
          expect(out).toBe(raw);
          // At least those (events that share a chunk with them come along), each once, in order.
          const data = seen.map((event) => event.data);
          expect(data[0]).toBe('{"first":"é"}');
          expect(data).toContain('{"n":2,"usage":{"t":3}}');
          expect(new Set(data).size).toBe(data.length);
        },
      ),
      { numRuns: 200, seed: 14 },
    );
  });

  it('with triggers: a dropped event is cut out, its neighbours kept whole', async () => {
    const { reader } = collectingReader((data) => data.includes('"usage"'));
    reader.triggers = ['"usage":{'];
    const out = await new Response(
      meterEventStream(
        streamOf(['data: {"a":1}\n\ndata: {"b":2}\n\ndata: {"usage":{"t":1}}\n', '\ndata: [DONE]\n\n']),
        reader,
        () => undefined,
      ),
    ).text();
    expect(out).toBe('data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n');
  });

  it('a metered body iterated with for await meters in place, and ends once when stopped', async () => {
    const { reader, seen } = collectingReader();
    const ends: string[] = [];
    const body = streamOf(['data: {"a":1}\n\n', 'data: {"b":2}\n\n', 'data: {"c":3}\n\n']);
    const metered = meterEventBody(body, reader, (end) => ends.push(end)).body;
    expect(metered).toBe(body);
    for await (const _ of metered as unknown as AsyncIterable<Uint8Array>) break;
    expect(seen.map((event) => event.data)).toEqual(['{"a":1}']);
    expect(ends).toEqual(['cancelled']);
  });

  it('fails a stream that stalls past the idle limit, with a TimeoutError, through either face', async () => {
    for (const face of ['stream', 'iterator'] as const) {
      const stalled = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('data: {"a":1}\n\n'));
        },
      });
      const { reader } = collectingReader();
      const ends: string[] = [];
      const options = { idleTimeoutMs: 50 };
      const read = async () => {
        if (face === 'stream') {
          await new Response(meterEventStream(stalled, reader, (end) => ends.push(end), options)).text();
        } else {
          const { body } = meterEventBody(stalled, reader, (end) => ends.push(end), options);
          for await (const _ of body as unknown as AsyncIterable<Uint8Array>);
        }
      };
      await expect(read()).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(ends).toEqual(['failed']);
    }
  });
});
