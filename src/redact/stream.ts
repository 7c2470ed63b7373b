/**
 * A stream that redacts text as it flows, for piping logs (`node app.js 2>&1 | keycard mask`):
 * each line is written as soon as it is complete; a very long line is written in pieces, cut
 * between tokens, so that nothing is held back longer than needed and no key is split.
 *
 * It works on the UTF-8 bytes: lines without a trigger go out as they came in, never decoded
 * (`redactBytes`); lines are cut only at ASCII bytes, so a multi-byte character is never split.
 * @module
 */

import { Transform, type TransformCallback } from 'node:stream';
import { redactBytesInPieces } from './redactor.js';

/** A line longer than this is written in pieces. */
const MAX_PENDING = 64 * 1024;
/** Kept back from a long line's piece: longer than any key with its header name. */
const KEEP = 2048;
/** A cut must not fall right after a header name: its value would lose its context. */
const HEADER_BEFORE = /(?:authoriz\w*|api[-_]key|bearer|token)["']?\s*[:=]?\s*["']?\s*$/i;
/** ASCII whitespace, where a long line may be cut. */
const SPACE = /\s/;

/** Where to cut `bytes` (longer than MAX_PENDING): after a whitespace before `length - KEEP`. */
function cutPoint(bytes: Buffer): number {
  const limit = bytes.length - KEEP;
  for (let index = limit; index > limit - 8 * 1024 && index > 0; index -= 1) {
    const byte = bytes[index] ?? 0;
    if (byte >= 0x80 || !SPACE.test(String.fromCharCode(byte))) continue;
    if (HEADER_BEFORE.test(bytes.toString('latin1', Math.max(0, index - 64), index + 1))) continue;
    return index + 1;
  }
  // No whitespace for 8 KiB: such a token is not a key; cut anyway, but not inside a character.
  let cut = limit;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
  return cut;
}

/** Redacts a stream of UTF-8 bytes line by line: what goes out for each piece that comes in. */
export interface LineRedactor {
  /**
   * The redacted bytes of every line `bytes` completes (and of a long line's pieces); the rest is
   * kept for the next call. The pieces returned may be views of `bytes`: write them out before
   * reusing it.
   */
  write(bytes: Buffer): Buffer[];
  /** The redacted rest, at the end of the input. */
  end(): Buffer[];
}

/** A {@link LineRedactor}. */
export function createLineRedactor(): LineRedactor {
  /** The bytes of the unfinished line, in the chunks they came in (joined once it ends). */
  let pending: Buffer[] = [];
  let pendingLength = 0;
  /** What goes out for the current call. */
  let out: Buffer[] = [];
  const redact = (bytes: Buffer) => {
    for (const piece of redactBytesInPieces(bytes)) {
      out.push(piece === bytes ? bytes : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    }
  };
  return {
    write(bytes) {
      out = [];
      const last = bytes.lastIndexOf(10);
      let rest = bytes;
      if (last >= 0) {
        // The unfinished line and the chunk's first line, joined; then the chunk's other complete
        // lines as they are, without a copy.
        let from = 0;
        if (pendingLength > 0) {
          from = bytes.indexOf(10) + 1;
          redact(Buffer.concat([...pending, bytes.subarray(0, from)]));
          pending = [];
          pendingLength = 0;
        }
        if (last + 1 > from) redact(bytes.subarray(from, last + 1));
        rest = bytes.subarray(last + 1);
      }
      if (pendingLength + rest.length > MAX_PENDING) {
        rest = Buffer.concat([...pending, rest]);
        pending = [];
        pendingLength = 0;
        while (rest.length > MAX_PENDING) {
          const cut = cutPoint(rest);
          redact(rest.subarray(0, cut));
          rest = rest.subarray(cut);
        }
      }
      if (rest.length > 0) {
        // A copy: the caller may reuse `bytes`, and a large chunk's rest would keep it alive.
        pending.push(Buffer.from(rest));
        pendingLength += rest.length;
      }
      return out;
    },
    end() {
      out = [];
      if (pendingLength > 0) redact(Buffer.concat(pending));
      pending = [];
      pendingLength = 0;
      return out;
    },
  };
}

/** A Transform from text (or UTF-8 bytes) to redacted UTF-8 bytes. */
export function createRedactStream(): Transform {
  const lines = createLineRedactor();
  /** The pieces of one input chunk go out as one chunk: a line is never written in parts. */
  const joined = (pieces: Buffer[]) => (pieces.length === 1 ? pieces[0] : Buffer.concat(pieces));
  return new Transform({
    decodeStrings: false,
    transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback) {
      const pieces = lines.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      done(null, pieces.length > 0 ? joined(pieces) : undefined);
    },
    flush(done: TransformCallback) {
      const pieces = lines.end();
      done(null, pieces.length > 0 ? joined(pieces) : undefined);
    },
  });
}
