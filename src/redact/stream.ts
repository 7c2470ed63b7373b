/**
 * A stream that redacts text as it flows, for piping logs (`node app.js 2>&1 | keycard mask`):
 * each line is written as soon as it is complete; a very long line is written in pieces, cut
 * between tokens, so that nothing is held back longer than needed and no key is split.
 * @module
 */

import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { redactText } from './redactor.js';

/** A line longer than this is written in pieces. */
const MAX_PENDING = 64 * 1024;
/** Kept back from a long line's piece: longer than any key with its header name. */
const KEEP = 2048;
/** A cut must not fall right after a header name: its value would lose its context. */
const HEADER_BEFORE = /(?:authoriz\w*|api[-_]key|bearer|token)["']?\s*[:=]?\s*["']?\s*$/i;

/** Where to cut `text` (longer than MAX_PENDING): a whitespace before `text.length - KEEP`. */
function cutPoint(text: string): number {
  const limit = text.length - KEEP;
  for (let index = limit; index > limit - 8 * 1024 && index > 0; index -= 1) {
    if (!/\s/.test(text[index] ?? '')) continue;
    if (HEADER_BEFORE.test(text.slice(Math.max(0, index - 64), index + 1))) continue;
    return index + 1;
  }
  // No whitespace for 8 KiB: such a token is not a key; cut anyway.
  return limit;
}

/** A Transform from text (or UTF-8 bytes) to redacted text. */
export function createRedactStream(): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return new Transform({
    decodeStrings: false,
    transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const newline = pending.lastIndexOf('\n');
      if (newline >= 0) {
        this.push(redactText(pending.slice(0, newline + 1)));
        pending = pending.slice(newline + 1);
      }
      while (pending.length > MAX_PENDING) {
        const cut = cutPoint(pending);
        this.push(redactText(pending.slice(0, cut)));
        pending = pending.slice(cut);
      }
      done();
    },
    flush(done: TransformCallback) {
      pending += decoder.end();
      if (pending !== '') this.push(redactText(pending));
      done();
    },
  });
}
