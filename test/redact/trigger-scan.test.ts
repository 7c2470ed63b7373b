/**
 * The byte scan (`trigger-scan.ts`) and the triggers it looks for: that it never misses a line
 * where a key is. Three links, each checked on corpora of two shapes, the hostile lines and keys
 * placed across its 64 KiB chunks: every match of every pattern holds a trigger of that pattern;
 * wherever a trigger's expression matches, its byte tests hold; wherever the byte tests hold, the
 * scan reports the position. And end to end: the redactor gives the same text with the byte scan,
 * without it (no WebAssembly), line by line, and on bytes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KEY_PATTERNS, type Trigger } from '../../src/redact/patterns.js';
import { findSecrets, redactBytes, redactText } from '../../src/redact/redactor.js';
import { registerSecret } from '../../src/redact/registry.js';
import { type ByteTest, createTriggerScanner } from '../../src/redact/trigger-scan.js';
import { generateCorpus, generateJsonCorpus, makeDecoys, SHAPES } from '../helpers/corpus.js';
import { randomString, seededRandom, testKey } from '../helpers/keys.js';
import { HOSTILE_LINES } from './hostile-lines.js';

const logCorpus = generateCorpus({ seed: 5, bytes: 256 * 1024, perShape: 4 });
const jsonCorpus = generateJsonCorpus({ seed: 6, bytes: 256 * 1024, perShape: 3 });
const hostile = HOSTILE_LINES.map((family) => family.make(4096)).join('\n');
/** Keys of every shape with a character of context around them, each kind of context. */
const shapes = (() => {
  const random = seededRandom(8);
  const around = [' ', '"', '=', ':', '/', '(', '\t', 'é', '€'];
  return SHAPES.flatMap((shape) =>
    around.map((before, index) => `${before}${shape.make(random)}${around[(index + 3) % around.length]}`),
  ).join('\n');
})();
/** Forms the corpora do not plant: each alternative of each pattern, built at run time. */
const variants = (() => {
  const random = seededRandom(11);
  const key = (length: number, alphabet?: string) => randomString(random, length, alphabet);
  const digits = (length: number) => randomString(random, length, '123456789');
  const opaque = key(40);
  return [
    `vault ${['hv', 'r'].join('')}.${key(60)} and ${['hv', 'b'].join('')}.${key(150)}`,
    `legacy b.${key(20)}${digits(4)} and r.${digits(2)}${key(22)}`,
    `discord ${['M', 'T'].join('')}${key(24)}.${key(7)}.${key(38)} and N${key(26)}.${key(6)}.${key(27)}`,
    `telegram ${digits(9)}%3A${['A', 'A'].join('')}${key(33)} and ${digits(8)}%3a${['A', 'B'].join('')}${key(33)}`,
    `AUTHORIZATION: BEARER ${opaque}`,
    `Proxy-Authorization: Basic ${opaque}`,
    `X-API-KEY=${opaque}`,
    `x-Api-Key: ${opaque}`,
    `api_Key = "${opaque}"`,
    `X-Goog-Api-Key: ${opaque}`,
    `slack ${['xo', 'xs'].join('')}-${digits(12)}-${key(30)} ${['xo', 'xe'].join('')}-1-${key(150)}`,
    `openai ${['sk', 'service'].join('-')}-${key(40)}${['T3Bl', 'bkFJ'].join('')}${key(40)}`,
    `anthropic ${['sk', 'ant', 'admin01'].join('-')}-${key(95)}`,
  ].join('\n');
})();
const texts: Record<string, string> = {
  'other forms': variants,
  'log corpus': logCorpus.text,
  'JSON corpus': jsonCorpus.text,
  'hostile lines': hostile,
  'keys of every shape': shapes,
  decoys: makeDecoys(seededRandom(9)).join('\n'),
};

const triggersOf = (pattern: (typeof KEY_PATTERNS)[number]) => pattern.triggers;
const allTriggers: Trigger[] = [
  ...new Map(KEY_PATTERNS.flatMap(triggersOf).map((trigger) => [trigger.source, trigger])).values(),
];

const byteSets = new Map<readonly ByteTest[], Array<[number, Set<number>]>>();

/** Whether the byte tests hold at `position` (bytes outside the text: zero). */
function testsHold(text: string, position: number, tests: readonly ByteTest[]): boolean {
  let sets = byteSets.get(tests);
  if (sets === undefined) {
    sets = tests.map(([offset, chars]) => [
      offset,
      new Set([...chars].map((char) => char.charCodeAt(0) & 0xff)),
    ]);
    byteSets.set(tests, sets);
  }
  for (const [offset, bytes] of sets) {
    const at = position + offset;
    if (!bytes.has(at >= 0 && at < text.length ? text.charCodeAt(at) & 0xff : 0)) return false;
  }
  return true;
}

/** Every position of `text` where `source` matches. */
function origins(text: string, source: string): number[] {
  const sticky = new RegExp(source, 'y');
  const found: number[] = [];
  const first = new RegExp(source, 'g');
  for (let match = first.exec(text); match !== null; match = first.exec(text)) {
    found.push(match.index);
    first.lastIndex = match.index + 1;
  }
  // The global search and a sticky test at each found position agree.
  for (const position of found.slice(0, 50)) {
    sticky.lastIndex = position;
    expect(sticky.test(text)).toBe(true);
  }
  return found;
}

describe('the triggers', () => {
  it.each(Object.keys(texts))('hold within every match of their pattern: %s', (name) => {
    const text = texts[name] ?? '';
    for (const pattern of KEY_PATTERNS) {
      const regex = new RegExp(`${pattern.prefix ?? ''}(?:${pattern.source})`, 'g');
      const confirmed = pattern.triggers.map((trigger) => new Set(origins(text, trigger.source)));
      for (const line of text.split('\n')) {
        for (const match of line.matchAll(regex)) {
          const lineStart = text.indexOf(line);
          const start = lineStart + (match.index ?? 0);
          const end = start + match[0].length;
          const inside = confirmed.some((set) => [...set].some((origin) => origin >= start && origin < end));
          expect(inside, `${pattern.id} in ${JSON.stringify(match[0].slice(0, 40))}`).toBe(true);
        }
      }
    }
  });

  it.each(Object.keys(texts))('have byte tests that hold wherever their expression matches: %s', (name) => {
    const text = texts[name] ?? '';
    for (const trigger of allTriggers) {
      for (const origin of origins(text, trigger.source)) {
        expect(testsHold(text, origin, trigger.bytes), `${trigger.source} at ${origin}`).toBe(true);
      }
    }
  });

  it('find planted keys in both corpora', () => {
    for (const corpus of [logCorpus, jsonCorpus]) {
      const redacted = redactText(corpus.text);
      for (const { key } of corpus.planted) expect(redacted).not.toContain(key);
    }
  });
});

describe('the byte scan', () => {
  const scanner = createTriggerScanner(allTriggers.map(({ bytes }) => bytes));

  it('is built where WebAssembly is available', () => {
    expect(scanner).toBeDefined();
  });

  /** Every position the scan reports (visit asks for the next position each time). */
  const reported = (text: string): Set<number> => {
    const found = new Set<number>();
    scanner?.scan(text, (position) => {
      found.add(position);
      return position + 1;
    });
    return found;
  };

  it.each(Object.keys(texts))('reports every position where some trigger’s tests hold: %s', (name) => {
    const text = texts[name] ?? '';
    const found = reported(text);
    for (let position = 0; position < text.length; position += 1) {
      if (allTriggers.some((trigger) => testsHold(text, position, trigger.bytes))) {
        expect(
          found.has(position),
          `${JSON.stringify(text.slice(position, position + 12))} at ${position}`,
        ).toBe(true);
      }
    }
  });

  it('finds triggers across its windows and 64 KiB chunks, at both ends of the text, and in bytes', () => {
    const random = seededRandom(10);
    const filler = randomString(random, 3 * 65536 + 100, 'abcdefghij klmnop\n');
    for (const shift of [-40, -17, -3, -1, 0, 1, 2, 15, 16, 31, 33]) {
      const key = testKey('slack', `chunk-${shift}`);
      // Each key between spaces, replacing as many characters of filler.
      let text = filler;
      // The edges of the loop's first windows (2, 4, 8 KiB) and of the chunks.
      for (const boundary of [2048, 6144, 14336, 65536, 2 * 65536]) {
        const at = boundary + shift;
        text = `${text.slice(0, at - 1)} ${key} ${text.slice(at + key.length + 1)}`;
      }
      text = `${key} ${text.slice(key.length + 1, -key.length - 1)} ${key}`;
      const found = [...reported(text)];
      const expected = origins(text, 'xox');
      for (const origin of expected) expect(found).toContain(origin);
      expect(redactText(text)).not.toContain(key);
      expect(Buffer.from(redactBytes(Buffer.from(text))).toString()).not.toContain(key);
    }
  });

  it('reports nothing in a text without any trigger, and does not call itself back', () => {
    expect(reported('hello world\n'.repeat(20000)).size).toBe(0);
    const text = `a ${testKey('gemini', 'nested')} b\n`.repeat(100);
    let inner: boolean | undefined;
    scanner?.scan(text, (position) => {
      inner = scanner.scan(text, (next) => next + 1);
      return position + 1;
    });
    expect(inner).toBe(false);
  });
});

describe('the redactor with the byte scan', () => {
  const cases = Object.entries(texts);

  it.each(cases.map(([name]) => name))('gives the same text as line by line: %s', (name) => {
    const text = texts[name] ?? '';
    // Most lines are shorter than the byte scan's minimum: they go through the expressions alone.
    const byLine = text.split('\n').map(redactText).join('\n');
    expect(redactText(text)).toBe(byLine);
  });

  it.each(cases.map(([name]) => name))('gives on UTF-8 bytes what it gives on text: %s', (name) => {
    const text = `${texts[name] ?? ''}\nnon-ASCII: é € 𝄞 ${testKey('openai', 'utf8')} ✓\n`;
    const bytes = Buffer.from(text);
    expect(Buffer.from(redactBytes(bytes)).toString()).toBe(redactText(text));
  });

  it('returns the same bytes when there is nothing to redact', () => {
    const bytes = Buffer.from('nothing here\n'.repeat(1000));
    expect(redactBytes(bytes)).toBe(bytes);
  });

  it('matches a line whole when the scan reports many positions there that no trigger confirms', () => {
    const key = testKey('anthropic', 'many-positions');
    const line = `M${'.abcdef'.repeat(5000)} ${key}`;
    expect(redactText(line)).not.toContain(key);
    expect(findSecrets(`${line}\n${line}`)).toHaveLength(2);
  });

  it('redacts a registered secret of any characters, in text and in bytes', () => {
    const secret = `pässwört-${testKey('xai', 'non-ascii').slice(4, 40)}`;
    registerSecret(secret, '[REDACTED test]');
    const text = `${'filler line\n'.repeat(200)}the secret ${secret} here\n`;
    expect(redactText(text)).toContain('the secret [REDACTED test] here');
    expect(Buffer.from(redactBytes(Buffer.from(text))).toString()).toContain(
      'the secret [REDACTED test] here',
    );
  });

  describe('without WebAssembly', () => {
    const saved = (globalThis as Record<string, unknown>)['WebAssembly'];
    afterAll(() => {
      Object.defineProperty(globalThis, 'WebAssembly', { value: saved, configurable: true, writable: true });
    });

    it('gives the same text through the expressions alone', () => {
      const expected = cases.map(([, text]) => redactText(text));
      Reflect.deleteProperty(globalThis, 'WebAssembly');
      // A new secret: the matcher is rebuilt, and finds no WebAssembly.
      registerSecret(`no-wasm-${testKey('slack', 'no-wasm')}`, '[REDACTED test]');
      expect(cases.map(([, text]) => redactText(text))).toEqual(expected);
      const bytes = Buffer.from(texts['log corpus'] ?? '');
      expect(Buffer.from(redactBytes(bytes)).toString()).toBe(
        expected[cases.findIndex(([name]) => name === 'log corpus')],
      );
    });
  });
});
