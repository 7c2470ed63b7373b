/**
 * Every documented key form (test/helpers/key-forms.ts), generated at run time: found whole by
 * the scanner with high confidence and the right rule, replaced whole by the redactor, and by
 * `keycard mask`. Then the precision rules: placeholders, code, hashes and fixtures that say they
 * are fake are not high-confidence findings.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSecrets, redactBytes, redactText } from '../../src/redact/redactor.js';
import { DEFAULT_CONTEXTS, KEY_FORMS } from '../helpers/key-forms.js';
import { randomString, seededRandom } from '../helpers/keys.js';

const cli = join(import.meta.dirname, '../../dist/cli/main.js');

/** Three keys of each form, each in every context of the form. */
const cases = KEY_FORMS.flatMap((form, formIndex) => {
  const random = seededRandom(1000 + formIndex);
  return [0, 1, 2].flatMap((round) => {
    const key = form.make(random);
    return (form.contexts ?? DEFAULT_CONTEXTS).map((context, contextIndex) => ({
      form,
      key,
      secret: form.secret?.(key) ?? key,
      line: `line ${round}.${contextIndex}: ${context.replace('$', key)}`,
    }));
  });
});

describe('every documented key form', () => {
  it.each(KEY_FORMS.map((form) => [form.name, form] as const))(
    '%s: found whole, high, by its rule',
    (_name, form) => {
      for (const { line, secret } of cases.filter((entry) => entry.form === form)) {
        const found = findSecrets(line);
        expect(found, line).toHaveLength(1);
        const [finding] = found;
        expect(line.slice(finding?.index, (finding?.index ?? 0) + (finding?.length ?? 0)), line).toBe(secret);
        expect(finding?.rule, line).toBe(form.rule);
        expect(finding?.label, line).toBe(form.label);
        expect(finding?.confidence, `${line} ${finding?.reason}`).toBe('high');
        expect(finding?.maskedId).not.toContain(secret.slice(4, -4));
        expect(finding?.fingerprint).toMatch(/^[0-9a-f]{12}$/);
      }
    },
  );

  it.each(KEY_FORMS.map((form) => [form.name, form] as const))(
    '%s: masked whole by the redactor',
    (_name, form) => {
      for (const { line, secret } of cases.filter((entry) => entry.form === form)) {
        const redacted = redactText(line);
        expect(redacted, line).not.toContain(secret.slice(-12));
        expect(redacted, line).toContain(`[REDACTED ${form.label} `);
        expect(Buffer.from(redactBytes(Buffer.from(line))).toString('utf8')).toBe(redacted);
      }
    },
  );

  it('all of them, in one long text (the byte scan), as in short lines', () => {
    const text = cases.map(({ line }) => line).join('\n');
    expect(text.length).toBeGreaterThan(1024);
    expect(findSecrets(text).filter((finding) => finding.confidence === 'high')).toHaveLength(cases.length);
    const redacted = redactText(text);
    for (const { secret } of cases) expect(redacted).not.toContain(secret.slice(-12));
  });

  it('keycard mask masks every one of them', () => {
    const input = `${cases.map(({ line }) => line).join('\n')}\n`;
    const result = spawnSync(process.execPath, [cli, 'mask', '--no-env'], { input, encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const { secret } of cases) expect(result.stdout).not.toContain(secret.slice(-12));
    expect(result.stdout.split('\n')).toHaveLength(input.split('\n').length);
  });

  it('a legacy Vault token, an AWS-less 40-character blob and a Telegram-less token are low or nothing without context', () => {
    const random = seededRandom(77);
    const vault = `s.${randomString(random, 23)}7`;
    expect(findSecrets(`copy ${vault} here`).map(({ confidence }) => confidence)).toEqual(['low']);
    expect(findSecrets(`blob ${randomString(random, 39, 'ABCDEFabcdef0123456789+/')}7 end`)).toEqual([]);
    expect(
      findSecrets(`id ${randomString(random, 10, '123456789')}:b${randomString(random, 34)} end`),
    ).toEqual([]);
  });
});

/** High-confidence findings in `text`. */
const high = (text: string) => findSecrets(text).filter((finding) => finding.confidence === 'high');

describe('precision: code is not a key', () => {
  const random = seededRandom(4242);
  const hex = (length: number) => randomString(random, length, '0123456789abcdef');
  const base64 = (length: number) =>
    randomString(random, length, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  const uuid = () => [8, 4, 4, 4, 12].map(hex).join('-');
  const negatives: Array<[string, string]> = [
    ['a method call', 'if (s.enumerateUnauthenticated(x)) r.resolvedUsingTsExtension = true;'],
    ['a property chain', 'const v = s.AcceptanceTimeoutSeconds + s.makeKubeConfigController;'],
    ['a commit hash', `commit ${hex(40)}`],
    ['a SHA-256', `sha256:${hex(64)}`],
    ['a UUID', `"id": "${uuid()}"`],
    ['a lockfile integrity', `"integrity": "sha512-${base64(86)}=="`],
    ['a base64 blob', `data:application/octet-stream;base64,${base64(400)}==`],
    ['a shortened key', 'OPENAI_API_KEY=sk-...'],
    ['a bot token placeholder', `SLACK_BOT_TOKEN=${['xo', 'xb'].join('')}-your-token`],
    ['a template', 'Authorization: Bearer <YOUR_API_KEY>'],
    ['an ellipsis', `ANTHROPIC_API_KEY=sk-ant-api03-abc123xyz-…`],
    ['repeated characters', `sk-proj-${'x'.repeat(60)}`],
    ['XXXX', `${['AI', 'za'].join('')}Sy${'X'.repeat(33)}`],
    ['zeros', `${['xo', 'xb'].join('')}-${'0'.repeat(12)}-${'0'.repeat(13)}-${'0'.repeat(24)}`],
    ['a documented example id', `aws_access_key_id = ${['AK', 'IA'].join('')}IOSFODNN7${'EXAMPLE'}`],
    [
      'an address after authorization',
      ' * `Bearer authorization="https://some.url/tenantId", resource="https://some.url"`',
    ],
    [
      'a configuration token placeholder',
      `${['xo', 'xe'].join('')}.${['xo', 'xp'].join('')}-1-SlackAppConfigurationAccessTokenHere`,
    ],
    [
      'a repository named like a token',
      'https://github.com/xoxa-nyc/xoxa-nyc.github.io/blob/master/README.md',
    ],
    ['an image name', 'https://indieweb.org/images/3/35/2018-250-xoxo-indieweb-1.jpg'],
    ['a legacy token of filler', `${['xo', 'xb'].join('')}-xxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`],
    ['a Vault token of filler', `${['hv', 's'].join('')}.${'x'.repeat(95)}`],
    ['an upper-case word after s.', 's.THISSTRINGISALLUPPERCASE'],
    ['a webhook placeholder', `https://hooks.${'slack'}.com/services/T00000000/B00000000/${'X'.repeat(24)}`],
  ];
  it.each(negatives)('%s', (_name, text) => {
    expect(high(text), text).toEqual([]);
  });

  it('a key-shaped value that says it is made up, or sits in a fixture named fake, is low', () => {
    const r = seededRandom(5);
    const groq = () => `${['gs', 'k'].join('')}_${randomString(r, 52)}`;
    for (const line of [
      `const fakeGroqKey = '${groq()}';`,
      `FAKE_TOKEN=${groq()}`,
      `mockClient({ apiKey: '${groq()}' })`,
      `const key = '${groq()}'; // not a real key`,
      `${['gs', 'k'].join('')}_${randomString(r, 40)}EXAMPLE${randomString(r, 5)}`,
      `sk-ant-api03-${'abc123xyz-'.repeat(9)}abcAA`,
    ]) {
      const found = findSecrets(line);
      expect(found.length, line).toBeGreaterThan(0);
      expect(
        found.map(({ confidence }) => confidence),
        line,
      ).toEqual(found.map(() => 'low'));
      // The redactor is conservative: a low finding is masked all the same.
      expect(redactText(line)).toContain('[REDACTED ');
    }
  });

  it('a key inside a longer base64 blob is low; a key after a slash in a path is not', () => {
    const r = seededRandom(8);
    const gemini = `${['AI', 'za'].join('')}${randomString(r, 35)}`;
    const blob = `${base64(40)}+${gemini}/${base64(40)}`;
    expect(findSecrets(blob).map(({ confidence }) => confidence)).toEqual(['low']);
    expect(high(`GET /v1/models/${gemini}`)).toHaveLength(1);
  });
});
