/**
 * keycard/pino with the real pino: every line redacted, serialised errors included; and a pino
 * logger given to createClient gets keycard's lines as (fields, message), redacted.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { pinoRedaction } from '../../src/pino.js';
import { Secret } from '../../src/secret.js';
import { openAIFixture } from '../helpers/fixture.js';
import { testKey } from '../helpers/keys.js';

function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines };
}

describe('keycard/pino', () => {
  it('redacts messages, fields and serialised errors, registered or not', () => {
    const registered = testKey('anthropic', 'pino-registered');
    new Secret(registered, { provider: 'anthropic' });
    const unregistered = testKey('slack', 'pino-shape');
    const { stream, lines } = sink();
    const logger = pino(pinoRedaction({ level: 'debug' }), stream);
    const error = new Error(`request failed with ${registered}`);
    Object.assign(error, { headers: { authorization: `Bearer ${unregistered}` } });
    logger.info({ token: unregistered, nested: { key: registered } }, `calling with ${unregistered}`);
    logger.error({ err: error }, 'call failed');
    logger.debug(new Error(`debug ${unregistered}`));
    const output = lines.join('');
    expect(lines).toHaveLength(3);
    expect(output).not.toContain(registered);
    expect(output).not.toContain(unregistered);
    expect(output).toContain('[REDACTED anthropic sk-ant-api03-****');
    expect(output).toContain('[REDACTED slack xoxb-****');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('keeps a streamWrite hook already set, running it first', () => {
    const { stream, lines } = sink();
    const key = testKey('xai', 'pino-hook');
    const logger = pino(
      pinoRedaction({ hooks: { streamWrite: (line: string) => line.replace('hello', `hello ${key}`) } }),
      stream,
    );
    logger.info('hello');
    expect(lines.join('')).toContain('hello [REDACTED xai xai-****');
  });

  it('is a logger createClient writes to as pino expects: fields first', async () => {
    const { stream, lines } = sink();
    const logger = pino(pinoRedaction({ level: 'debug' }), stream);
    const fixture = await openAIFixture({ client: { logger } });
    try {
      await fixture.client.sdk.models.list();
      const debug = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line['level'] === 20 && String(line['msg']).startsWith('keycard openai'));
      expect(debug).toMatchObject({
        provider: 'openai',
        maskedId: fixture.client.maskedId,
        fingerprint: fixture.client.fingerprint,
      });
      expect(lines.join('')).not.toContain(fixture.key);
    } finally {
      await fixture.close();
    }
  });
});
