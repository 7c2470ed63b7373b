/**
 * The redactor's first pass: a WebAssembly SIMD loop that reads a text 16 bytes at a time and
 * reports every position where the bytes some trigger needs are all there (`sk-`, `AIz`, a dot
 * seven characters before another, …). It is only a filter: each position it reports is checked
 * again by the trigger expressions (see `redactor.ts`), and it may report more than they accept,
 * never less.
 *
 * How: the text is copied into WebAssembly memory 64 KiB at a time (as Latin-1: one byte per
 * UTF-16 code unit, its low byte; the triggers are ASCII, so a non-ASCII character never hides a
 * trigger, at most makes one appear; bytes are copied as they are). Triggers that test offsets 0,
 * 1 and 2 are grouped by their first character into up to eight buckets looked up with nibble
 * tables (the "Teddy" technique of Hyperscan and Rust's aho-corasick): three table lookups per 16
 * bytes test all of them at once. The others (`:A`; a dot seven or eight characters before
 * another, with key characters around; a registered secret of an unknown shape) are compared
 * directly, a set of more than three characters as one range. Two blocks of 16 bytes per turn of
 * the loop. The module is generated here, byte by byte, from the triggers: there is no binary in
 * the repository.
 *
 * Where WebAssembly is not available (`node --jitless`), {@link createTriggerScanner} returns
 * undefined and the redactor scans with a regular expression instead.
 * @module
 */

/** The character at `offset` from a trigger's origin is one of `chars` (their low bytes). */
export type ByteTest = readonly [offset: number, chars: string];

/** Reports candidate origins in increasing order; `visit` returns where to go on from. */
export interface TriggerScanner {
  /**
   * Calls `visit` with every position of `text` where all the byte tests of some trigger hold
   * (and perhaps others), in increasing order, skipping those before the position the previous
   * call returned. False, without a call, when the scanner is already scanning (from a `visit`).
   */
  scan(text: string, visit: (position: number) => number): boolean;
  /** The same over bytes (UTF-8 text): positions are byte offsets. */
  scanBytes(bytes: Uint8Array, visit: (position: number) => number): boolean;
}

/** What this module uses of the WebAssembly API. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** Characters of text per call of the WebAssembly loop. */
const CHUNK = 64 * 1024;
/** Bytes of context kept before and after a chunk: byte tests reach this far. */
const BEFORE = 32;
const AFTER = 96;
/** Offsets a byte test may have (the loop reads up to 32 bytes past the chunk). */
const MIN_OFFSET = -BEFORE;
const MAX_OFFSET = 48;

// WebAssembly opcodes used (core and SIMD, https://webassembly.github.io/spec/core/binary/).
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const VOID = 0x40;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_STORE = 0x36;
const I32_CONST = 0x41;
const I32_GE_U = 0x4f;
const I32_CTZ = 0x68;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_AND = 0x71;
const I32_XOR = 0x73;
const I32 = 0x7f;
const V128 = 0x7b;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const I8X16_SWIZZLE = 0x0e;
const I8X16_EQ = 0x23;
const V128_AND = 0x4e;
const V128_OR = 0x50;
const V128_ANY_TRUE = 0x53;
const I8X16_BITMASK = 0x64;
const I8X16_SUB = 0x71;
const I8X16_MIN_U = 0x77;
const I8X16_MAX_U = 0x79;
const V128_XOR = 0x51;
const I16X8_SHR_U = 0x8d;

/** The low bytes of the UTF-16 code units of `chars`, without repeats. */
function bytesOf(chars: string): number[] {
  const bytes = new Set<number>();
  for (let index = 0; index < chars.length; index += 1) bytes.add(chars.charCodeAt(index) & 0xff);
  return [...bytes];
}

/** A superset of a set of bytes that one subtraction and one comparison test: (byte ^ xor) - low <= width. */
interface ByteRange {
  readonly xor: number;
  readonly low: number;
  readonly width: number;
}

/**
 * The range (after an XOR with 0 to 31) that lets the fewest other printable characters through:
 * for letters, digits, `-` and `_`, XOR 2 moves `-` next to the digits and `.` and `/` out.
 */
function byteRange(bytes: readonly number[]): ByteRange {
  const key = bytes.join(',');
  const known = ranges.get(key);
  if (known !== undefined) return known;
  const members = new Set(bytes);
  let best: ByteRange & { others: number } = { xor: 0, low: 0, width: 255, others: Number.POSITIVE_INFINITY };
  for (let xor = 0; xor < 32; xor += 1) {
    const mapped = bytes.map((byte) => byte ^ xor);
    const low = Math.min(...mapped);
    const width = Math.max(...mapped) - low;
    let others = 0;
    for (let char = 0x20; char < 0x7f; char += 1) {
      if (!members.has(char) && ((char ^ xor) - low) >>> 0 <= width) others += 1;
    }
    if (others < best.others) best = { xor, low, width, others };
  }
  const range = { xor: best.xor, low: best.low, width: best.width };
  ranges.set(key, range);
  return range;
}

/** Ranges found, by set of bytes. */
const ranges = new Map<string, ByteRange>();

/**
 * Splits `triggers` into up to eight buckets (those with tests at offsets 0, 1 and 2, one bucket
 * per set of first characters) and the rest, tested directly.
 */
function plan(triggers: readonly (readonly ByteTest[])[]): {
  buckets: Array<Array<readonly ByteTest[]>>;
  direct: Array<readonly ByteTest[]>;
} {
  const buckets = new Map<string, Array<readonly ByteTest[]>>();
  const direct: Array<readonly ByteTest[]> = [];
  for (const tests of triggers) {
    for (const [offset] of tests) {
      if (offset < MIN_OFFSET || offset > MAX_OFFSET) throw new RangeError(`byte test offset ${offset}`);
    }
    const at = (offset: number) => tests.find(([testOffset]) => testOffset === offset)?.[1];
    const first = at(0);
    if (first !== undefined && at(1) !== undefined && at(2) !== undefined) {
      const key = bytesOf(first)
        .sort((a, b) => a - b)
        .join(',');
      const bucket = buckets.get(key);
      if (bucket !== undefined) {
        bucket.push(tests);
        continue;
      }
      if (buckets.size < 8) {
        buckets.set(key, [tests]);
        continue;
      }
    }
    direct.push(tests);
  }
  return { buckets: [...buckets.values()], direct };
}

/** Blocks of 16 bytes tested per turn of the loop (more share the constants' reloads). */
const UNROLL = 2;
/** Bytes the loop reads in its first call on a text. */
const FIRST_WINDOW = 2048;

/** Appends `value` to `out` as unsigned LEB128. */
function unsigned(out: number[], value: number): void {
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
}

/** Appends `value` to `out` as signed LEB128. */
function signed(out: number[], value: number): void {
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Appends a SIMD instruction (prefix and opcode). */
function simd(out: number[], op: number): void {
  out.push(SIMD);
  unsigned(out, op);
}

/** Appends a section: its id, its size, its body. */
function section(out: number[], id: number, body: readonly number[]): void {
  out.push(id);
  unsigned(out, body.length);
  for (const byte of body) out.push(byte);
}

/** The WebAssembly module for `triggers`, and the 16-byte constants its loop loads first. */
function buildModule(triggers: readonly (readonly ByteTest[])[]): { wasm: Uint8Array; constants: number[] } {
  const { buckets, direct } = plan(triggers);
  // Locals: 0 p, 1 end, 2 out (parameters), 3 mask (i32), then v128: a result per block,
  // constants, loads, tests.
  const P = 0;
  const LIMIT = 1;
  const OUT = 2;
  const MASK = 3;
  const RESULT = 4;
  let locals = RESULT + UNROLL;
  const get = (out: number[], local: number) => {
    out.push(LOCAL_GET);
    unsigned(out, local);
  };
  const set = (out: number[], local: number) => {
    out.push(LOCAL_SET);
    unsigned(out, local);
  };

  // Constants: loaded from memory once, before the loop (a `v128.const` in the loop would be
  // rebuilt at every turn).
  const constants: number[] = [];
  const prologue: number[] = [];
  const constantLocals = new Map<string, number>();
  /** The local holding the 16 bytes `bytes`. */
  const constant = (bytes: readonly number[]): number => {
    const key = bytes.join(',');
    let local = constantLocals.get(key);
    if (local === undefined) {
      local = locals;
      locals += 1;
      constantLocals.set(key, local);
      prologue.push(I32_CONST);
      signed(prologue, constants.length);
      simd(prologue, V128_LOAD);
      prologue.push(0, 0);
      set(prologue, local);
      for (const byte of bytes) constants.push(byte);
    }
    return local;
  };
  const splat = (byte: number) => constant(new Array<number>(16).fill(byte));

  // In the loop: each load and each test once per turn, however many triggers use it.
  const loads: number[] = [];
  const tests: number[] = [];
  const values = new Map<string, number>();
  /** The local of `key`, computed into `out` by `compute` the first time. */
  const value = (key: string, out: number[], compute: () => void): number => {
    let local = values.get(key);
    if (local === undefined) {
      compute();
      local = locals;
      locals += 1;
      values.set(key, local);
      set(out, local);
    }
    return local;
  };
  /** The 16 bytes at `offset` from p's lanes. */
  const load = (offset: number): number =>
    value(`@${offset}`, loads, () => {
      get(loads, P);
      simd(loads, V128_LOAD);
      loads.push(0);
      unsigned(loads, offset - MIN_OFFSET);
    });
  /** Lanes whose byte at `offset` is one of `bytes` (one to three): all bits set, else zero. */
  const member = (offset: number, bytes: readonly number[]): number =>
    value(`${offset}:${bytes.join(',')}`, tests, () => {
      bytes.forEach((byte, index) => {
        get(tests, load(offset));
        get(tests, splat(byte));
        simd(tests, I8X16_EQ);
        if (index > 0) simd(tests, V128_OR);
      });
    });
  /**
   * Lanes where the bytes at all `offsets` are in `range` (after the XOR): each byte mapped to
   * (byte ^ xor) - low, the largest of them at most `width`.
   */
  const inRange = (offsets: readonly number[], range: ByteRange): number => {
    const mapped = (offset: number) =>
      value(`${offset}^${range.xor}-${range.low}`, tests, () => {
        get(tests, load(offset));
        if (range.xor !== 0) {
          get(tests, splat(range.xor));
          simd(tests, V128_XOR);
        }
        get(tests, splat(range.low));
        simd(tests, I8X16_SUB);
      });
    const mappedLocals = offsets.map(mapped);
    return value(`${offsets.join(',')}^${range.xor}-${range.low}<=${range.width}`, tests, () => {
      // largest <= width, unsigned: min(largest, width) == largest.
      const largest = () =>
        mappedLocals.forEach((local, index) => {
          get(tests, local);
          if (index > 0) simd(tests, I8X16_MAX_U);
        });
      largest();
      get(tests, splat(range.width));
      simd(tests, I8X16_MIN_U);
      largest();
      simd(tests, I8X16_EQ);
    });
  };
  /**
   * The locals to AND for a trigger: characters compared (one to three), or, for larger sets,
   * one range test for all the offsets that test the same set.
   */
  const parts = (tests: readonly ByteTest[], shift: number): number[] => {
    const found: number[] = [];
    const large = new Map<string, number[]>();
    for (const [offset, chars] of tests) {
      const bytes = bytesOf(chars).sort((a, b) => a - b);
      if (bytes.length <= 3) found.push(member(offset + shift, bytes));
      else large.set(bytes.join(','), [...(large.get(bytes.join(',')) ?? []), offset + shift]);
    }
    for (const [key, offsets] of large) found.push(inRange(offsets, byteRange(key.split(',').map(Number))));
    return found;
  };
  // The buckets' nibble tables at offsets 0, 1 and 2: bit b set where bucket b accepts the nibble.
  const tables = [0, 1, 2].map((offset) => {
    const low = new Array<number>(16).fill(0);
    const high = new Array<number>(16).fill(0);
    buckets.forEach((members, index) => {
      for (const tests of members) {
        for (const byte of bytesOf(tests.find(([testOffset]) => testOffset === offset)?.[1] ?? '')) {
          low[byte & 15] = (low[byte & 15] ?? 0) | (1 << index);
          high[byte >> 4] = (high[byte >> 4] ?? 0) | (1 << index);
        }
      }
    });
    return { low: constant(low), high: constant(high) };
  });
  const fifteen = buckets.length > 0 ? splat(15) : 0;
  const zero = splat(0);

  // Each block: the buckets (a nibble lookup at offsets 0, 1, 2), ORed with each direct trigger.
  const results: number[] = [];
  for (let index = 0; index < UNROLL; index += 1) {
    const shift = 16 * index;
    const terms = direct.map((trigger) => parts(trigger, shift));
    let first = true;
    const or = () => {
      if (!first) simd(results, V128_OR);
      first = false;
    };
    if (buckets.length > 0) {
      tables.forEach(({ low, high }, offset) => {
        // low[byte & 15] & high[byte >> 4]
        const at = load(offset + shift);
        get(results, low);
        get(results, at);
        get(results, fifteen);
        simd(results, V128_AND);
        simd(results, I8X16_SWIZZLE);
        get(results, high);
        get(results, at);
        results.push(I32_CONST, 4);
        simd(results, I16X8_SHR_U);
        get(results, fifteen);
        simd(results, V128_AND);
        simd(results, I8X16_SWIZZLE);
        simd(results, V128_AND);
        if (offset > 0) simd(results, V128_AND);
      });
      or();
    }
    for (const term of terms) {
      term.forEach((local, part) => {
        get(results, local);
        if (part > 0) simd(results, V128_AND);
      });
      or();
    }
    if (first) get(results, zero);
    set(results, RESULT + index);
  }

  // The loop: for (; p < end; p += 16 * UNROLL) { results; if any is set, store the lanes }.
  const code: number[] = [...prologue, BLOCK, VOID, LOOP, VOID];
  get(code, P);
  get(code, LIMIT);
  code.push(I32_GE_U, BR_IF, 1, ...loads, ...tests, ...results);
  for (let index = 0; index < UNROLL; index += 1) {
    get(code, RESULT + index);
    if (index > 0) simd(code, V128_OR);
  }
  simd(code, V128_ANY_TRUE);
  code.push(IF, VOID);
  for (let index = 0; index < UNROLL; index += 1) {
    // mask = the lanes not zero; for each: *out = p + shift + lane; out += 4.
    get(code, RESULT + index);
    get(code, zero);
    simd(code, I8X16_EQ);
    simd(code, I8X16_BITMASK);
    code.push(I32_CONST);
    signed(code, 0xffff);
    code.push(I32_XOR, LOCAL_TEE, MASK, IF, VOID, LOOP, VOID);
    code.push(LOCAL_GET, OUT, LOCAL_GET, P, LOCAL_GET, MASK, I32_CTZ, I32_ADD);
    if (index > 0) {
      code.push(I32_CONST);
      signed(code, 16 * index);
      code.push(I32_ADD);
    }
    code.push(I32_STORE, 2, 0);
    code.push(LOCAL_GET, OUT, I32_CONST, 4, I32_ADD, LOCAL_SET, OUT);
    code.push(LOCAL_GET, MASK, LOCAL_GET, MASK, I32_CONST, 1, I32_SUB, I32_AND, LOCAL_TEE, MASK);
    code.push(BR_IF, 0, END, END);
  }
  code.push(END, LOCAL_GET, P, I32_CONST);
  signed(code, 16 * UNROLL);
  code.push(I32_ADD, LOCAL_SET, P, BR, 0, END, END, LOCAL_GET, OUT, END);

  // Function body: locals (one i32, the v128s), then the code.
  const body: number[] = [2, 1, I32];
  unsigned(body, locals - RESULT);
  body.push(V128, ...code);
  const pages = Math.ceil(layout(constants.length).size / 65536);
  const name = (out: number[], text: string) => {
    unsigned(out, text.length);
    for (const char of text) out.push(char.charCodeAt(0));
  };
  const types = [1, 0x60, 3, I32, I32, I32, 1, I32];
  const functions = [1, 0];
  const memory = [1, 0x00];
  unsigned(memory, pages);
  const exports = [2];
  name(exports, 'scan');
  exports.push(0x00, 0);
  name(exports, 'memory');
  exports.push(0x02, 0);
  const codeSection = [1];
  unsigned(codeSection, body.length);
  for (const byte of body) codeSection.push(byte);
  const wasm = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(wasm, 1, types);
  section(wasm, 3, functions);
  section(wasm, 5, memory);
  section(wasm, 7, exports);
  section(wasm, 10, codeSection);
  return { wasm: Uint8Array.from(wasm), constants };
}

/** Where things are in the module's memory: constants, then a chunk with its context, then the output. */
function layout(constantBytes: number): { input: number; output: number; size: number } {
  const input = Math.ceil(constantBytes / 16) * 16 + BEFORE;
  const output = input + CHUNK + AFTER;
  return { input, output, size: output + (CHUNK + 32) * 4 };
}

/**
 * A scanner for `triggers` (each a list of byte tests that must all hold), or undefined where
 * WebAssembly SIMD is not available.
 */
export function createTriggerScanner(triggers: readonly (readonly ByteTest[])[]): TriggerScanner | undefined {
  const key = JSON.stringify(triggers);
  if (scanners.has(key)) return scanners.get(key);
  const scanner = buildScanner(triggers);
  // A few kept: the same triggers (the shapes, and secrets of known shapes) get the same scanner.
  if (scanners.size >= 4) scanners.delete(scanners.keys().next().value ?? '');
  scanners.set(key, scanner);
  return scanner;
}

/** Scanners built, by their triggers. */
const scanners = new Map<string, TriggerScanner | undefined>();

function buildScanner(triggers: readonly (readonly ByteTest[])[]): TriggerScanner | undefined {
  // Not in the ES2023 library types: the two constructors used, typed here.
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api === undefined) return undefined;
  let exports: Record<string, unknown>;
  let constants: number[];
  try {
    const built = buildModule(triggers);
    constants = built.constants;
    exports = new api.Instance(new api.Module(built.wasm)).exports;
  } catch {
    // No SIMD on this machine, or a trigger the loop cannot test: the expressions do it all.
    return undefined;
  }
  const run = exports['scan'] as (from: number, to: number, out: number) => number;
  const { buffer } = exports['memory'] as { buffer: ArrayBuffer };
  const bytes = Buffer.from(buffer);
  const words = new Uint32Array(buffer);
  bytes.set(constants, 0);
  const { input, output } = layout(constants.length);
  let busy = false;
  /** Copies `length` units chunk by chunk (`copy` writes units [from, to) at `start`), scans each. */
  const scan = (
    length: number,
    copy: (from: number, to: number, start: number) => number,
    visit: (position: number) => number,
  ): boolean => {
    if (busy) return false;
    busy = true;
    let chunk = 0;
    let next = 0;
    let dirty = input;
    let window = FIRST_WINDOW;
    try {
      while (chunk < length) {
        const size = Math.min(CHUNK, length - chunk);
        const from = Math.max(0, chunk - BEFORE);
        const to = Math.min(length, chunk + size + AFTER);
        const start = input + (from - chunk);
        // Before the text and after it: zeros, which no trigger tests for.
        if (start > input - BEFORE) bytes.fill(0, input - BEFORE, start);
        const written = copy(from, to, start);
        dirty = Math.max(dirty, start + written);
        if (start + written < input + size + AFTER) bytes.fill(0, start + written, input + size + AFTER);
        // The loop reads a window of the chunk at a time, from 2 KiB doubling to the whole chunk:
        // a trigger near the start of a text lets `visit` skip its line, which the loop then need
        // not read (a long text goes on in whole chunks).
        const last = chunk + size;
        for (
          let at = chunk;
          at < last;
          at = Math.max(at + window, next), window = Math.min(CHUNK, window * 2)
        ) {
          const until = Math.min(last, at + window);
          const end = run(input + MIN_OFFSET + (at - chunk), input + MIN_OFFSET + (until - chunk), output);
          for (let slot = output >> 2; slot < end >> 2; slot += 1) {
            const position = chunk + (words[slot] ?? 0) - (input + MIN_OFFSET);
            // Lanes past the window are found again in the next one.
            if (position >= until) break;
            if (position < next) continue;
            next = visit(position);
          }
        }
        chunk = Math.max(last, next);
      }
    } finally {
      // Nothing of the text stays in memory once scanned.
      bytes.fill(0, input - BEFORE, dirty);
      busy = false;
    }
    return true;
  };
  return {
    scan: (text, visit) =>
      scan(
        text.length,
        (from, to, start) => bytes.write(text.slice(from, to), start, to - from, 'latin1'),
        visit,
      ),
    scanBytes: (source, visit) =>
      scan(
        source.length,
        (from, to, start) => {
          bytes.set(source.subarray(from, to), start);
          return to - from;
        },
        visit,
      ),
  };
}
