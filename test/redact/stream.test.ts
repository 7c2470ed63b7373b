/**
 * The redacting stream: lines go out as soon as they are complete, long lines go out in pieces,
 * keys split across chunks (even byte by byte) are still found, and multi-byte characters survive.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createRedactStream } from '../../src/redact/stream.js';
import { testKey } from '../helpers/keys.js';

async function through(chunks: Array<string | Buffer>): Promise<string> {
  const out: string[] = [];
  await pipeline(
    Readable.from(chunks),
    createRedactStream(),
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        out.push(chunk.toString());
        done();
      },
    }),
  );
  return out.join('');
}

describe('createRedactStream', () => {
  it('finds a key split across chunks, even one byte at a time, and keeps UTF-8 intact', async () => {
    const key = testKey('openai', 'stream-split');
    const text = `héllo → ${key} ✓\nnext line\n`;
    const bytes = Buffer.from(text);
    const single = Array.from(bytes, (byte) => Buffer.from([byte]));
    const output = await through(single);
    expect(output).toBe(`héllo → [REDACTED openai sk-proj-****${key.slice(-4)}] ✓\nnext line\n`);
  });

  it('writes each complete line at once, without waiting for the end of input', async () => {
    const stream = createRedactStream();
    const seen: string[] = [];
    stream.on('data', (chunk: Buffer | string) => seen.push(chunk.toString()));
    stream.write('first line\nsecond, not finished');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.join('')).toBe('first line\n');
    stream.end(' yet\n');
    await new Promise((resolve) => stream.on('end', resolve));
    expect(seen.join('')).toBe('first line\nsecond, not finished yet\n');
  });

  it('writes a very long line in pieces, finding every key, header values included', async () => {
    const keys = Array.from({ length: 40 }, (_, index) => testKey('slack', `long-${index}`));
    const words = keys.map(
      (key, index) =>
        `${'word '.repeat(3000)}${index % 2 === 0 ? key : `Authorization: Bearer ${key.replace('xoxb-', 'opaque')}`}`,
    );
    const line = `${words.join(' ')}\n`;
    const chunks = line.match(/[\s\S]{1,4000}/g) ?? [];
    const output = await through(chunks);
    for (const key of keys) expect(output).not.toContain(key.slice(-16));
    expect(output.split('[REDACTED').length - 1).toBe(40);
  });

  it('passes an input without keys through unchanged, last line without newline included', async () => {
    expect(await through(['a\nb', 'c\r\nd'])).toBe('a\nbc\r\nd');
  });
});
