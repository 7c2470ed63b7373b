/**
 * Recall and precision of the shape redactor on a corpus generated at run time (every shape the
 * redactor knows, planted next to keywords, bare and in URLs, among decoys), and its behaviour on
 * objects, bytes and very long lines.
 */
import { describe, expect, it } from 'vitest';
import { redactText, redactValue } from '../../src/redact/redactor.js';
import { generateCorpus, makeDecoys, SHAPES } from '../helpers/corpus.js';
import { seededRandom, testKey } from '../helpers/keys.js';

describe('recall and precision', () => {
  const corpus = generateCorpus({ seed: 7, bytes: 512 * 1024, perShape: 6 });
  const redacted = redactText(corpus.text);

  it.each(SHAPES.map((shape, index) => [`${shape.id} #${index}`, index] as const))(
    'finds every planted %s key, whole',
    (_name, index) => {
      const planted = corpus.planted.filter(({ shape }) => shape === SHAPES[index]);
      expect(planted.length).toBe(6);
      for (const { key, shape } of planted) {
        expect(redacted).not.toContain(key);
        // No tail of the key survives either: the whole key was replaced.
        expect(redacted).not.toContain(key.slice(-12));
        expect(redacted).toContain(`[REDACTED ${shape.label} `);
      }
    },
  );

  it('reports no decoy: placeholders, truncated keys, UUIDs, SHAs, hashes, base64, JWTs, identifiers', () => {
    for (const decoy of corpus.decoys) expect(redacted, decoy).toContain(decoy);
  });

  it('changes nothing else', () => {
    const withoutKeys = corpus.text
      .split('\n')
      .filter((line) => !corpus.planted.some(({ key }) => line.includes(key)));
    const redactedLines = new Set(redacted.split('\n'));
    for (const line of withoutKeys) expect(redactedLines.has(line), line).toBe(true);
  });

  it('redacts the bare decoy list to itself', () => {
    const decoys = makeDecoys(seededRandom(99)).join('\n');
    expect(redactText(decoys)).toBe(decoys);
  });
});

describe('labels', () => {
  it('show the provider and the masked id', () => {
    const key = testKey('openai', 'label');
    expect(redactText(`key ${key} end`)).toBe(`key [REDACTED openai sk-proj-****${key.slice(-4)}] end`);
    const telegram = testKey('telegram', 'label');
    expect(redactText(`https://api.telegram.org/bot${telegram}/getMe`)).toBe(
      `https://api.telegram.org/bot[REDACTED telegram ${telegram.split(':')[0]}:****${telegram.slice(-4)}]/getMe`,
    );
    const encoded = encodeURIComponent(telegram);
    expect(redactText(`/bot${encoded}/x`)).not.toContain(telegram.slice(-20));
  });

  it('masks credentials after Authorization and API-key headers, whatever they look like', () => {
    const opaque = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg';
    for (const line of [
      `Authorization: Bearer ${opaque}`,
      `{"authorization":"Bearer ${opaque}"}`,
      `curl -H 'x-api-key: ${opaque}'`,
      `X-Goog-Api-Key=${opaque}`,
    ]) {
      expect(redactText(line), line).not.toContain(opaque);
      expect(redactText(line)).toContain('[REDACTED credential ');
    }
    const template = `Authorization: Bearer ${'$'}{TOKEN}`;
    expect(redactText(template)).toBe(template);
    // Code and placeholders after a key name are not credentials.
    for (const line of [
      'api_key: config.openai.apiKey',
      "'x-api-key': 'your-api-key-here'",
      'Authorization: process.env.TOKEN_VALUE',
    ]) {
      expect(redactText(line), line).toBe(line);
    }
  });
});

describe('objects and bytes', () => {
  it('masks credential headers in plain objects by name, before looking at values', () => {
    const input = {
      headers: { Authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'short', cookie: ['a=1', 'b=2'] },
      ok: 1,
    };
    const output = redactValue(input);
    expect(output).toEqual({
      headers: {
        Authorization: '[REDACTED]',
        'x-api-key': '[REDACTED]',
        cookie: ['[REDACTED]', '[REDACTED]'],
      },
      ok: 1,
    });
    expect(input.headers.Authorization).toBe('Basic dXNlcjpwYXNz');
  });

  it('keeps bytes as bytes, copying only those that hold a key', () => {
    const clean = Buffer.from('nothing here');
    expect(redactValue({ body: clean }).body).toBe(clean);
    const key = testKey('anthropic', 'bytes');
    const dirty = Buffer.from(`token ${key}`);
    const output = redactValue({ body: dirty }).body as Buffer;
    expect(Buffer.isBuffer(output)).toBe(true);
    expect(output.toString()).toContain('[REDACTED anthropic sk-ant-api03-****');
    expect(dirty.toString()).toContain(key);
  });
});

describe('very long lines', () => {
  it('finds keys anywhere in a line of several MiB, also at its edges', () => {
    const keys = [testKey('xai', 'long-1'), testKey('slack', 'long-2'), testKey('gemini', 'long-3')];
    const filler = 'a.b c=d '.repeat(400_000);
    const line = `${keys[0]} ${filler}${keys[1]}${'-'.repeat(3)} ${filler} ${keys[2]}`;
    const output = redactText(line);
    for (const key of keys) expect(output).not.toContain(key);
    expect(output.length).toBeLessThan(line.length);
    expect(output.startsWith('[REDACTED xai ')).toBe(true);
    expect(output.endsWith(`${(keys[2] ?? '').slice(-4)}]`)).toBe(true);
  });
});
