/**
 * Rotation without restarts: `client.refresh()`, re-reads after a rejection (env and file
 * sources), one read for many failures, and key-age warnings. The real `openai` SDK against the
 * simulator over HTTP.
 */
import { chmod, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCredentialError } from '../src/errors.js';
import { keys } from '../src/keys/index.js';
import type { KeySource } from '../src/keys/types.js';
import { Secret } from '../src/secret.js';
import { openAIFixture } from './helpers/fixture.js';
import { testKey } from './helpers/keys.js';
import { rejection } from './helpers/rejections.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

async function keyFile(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'keycard-rotation-')), 'openai.key');
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/** A source whose value the test changes, counting reads. */
function settableSource(initial: string): KeySource & { value: string; reads: number; fail: boolean } {
  const source = {
    value: initial,
    reads: 0,
    fail: false,
    describe: () => 'custom:settable',
    async resolve(options?: { provider?: 'openai' | undefined }) {
      source.reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (source.fail) throw new Error('store down');
      return new Secret(source.value, { provider: options?.provider, source: 'custom:settable' });
    },
  };
  return source as KeySource & { value: string; reads: number; fail: boolean };
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

describe('client.refresh()', () => {
  it('picks up a changed key without a rejection, and reports what it did', async () => {
    const oldKey = testKey('openai', 'refresh-old');
    const newKey = testKey('openai', 'refresh-new');
    const source = settableSource(oldKey);
    const fixture = await openAIFixture({ key: oldKey, source });
    try {
      fixture.simulator.addKey(newKey);
      const unchanged = await fixture.client.refresh();
      expect(unchanged).toEqual({
        changed: false,
        maskedId: fixture.client.maskedId,
        fingerprint: fixture.client.fingerprint,
      });
      source.value = newKey;
      const result = await fixture.client.refresh();
      expect(result.changed).toBe(true);
      expect(result.maskedId).toBe(`sk-proj-****${newKey.slice(-4)}`);
      expect(fixture.client.fingerprint).toBe(result.fingerprint);
      await fixture.client.sdk.chat.completions.create(chat);
      const events = await fixture.events();
      expect(events.map((event) => event.keyFingerprint)).toEqual([result.fingerprint]);
    } finally {
      await fixture.close();
    }
  });

  it('shares one read among concurrent refreshes', async () => {
    const source = settableSource(testKey('openai', 'refresh-shared'));
    const fixture = await openAIFixture({ key: source.value, source });
    try {
      source.reads = 0;
      await Promise.all(Array.from({ length: 10 }, () => fixture.client.refresh()));
      expect(source.reads).toBe(1);
    } finally {
      await fixture.close();
    }
  });

  it('rejects with a CredentialError and keeps the key when the source fails or holds a bad key', async () => {
    const key = testKey('openai', 'refresh-bad');
    const source = settableSource(key);
    const fixture = await openAIFixture({ key, source });
    try {
      const before = fixture.client.fingerprint;
      source.fail = true;
      const down = await rejection(fixture.client.refresh());
      expect(isCredentialError(down) && down.reason).toBe('source_unavailable');
      source.fail = false;
      source.value = testKey('anthropic', 'refresh-wrong');
      const wrong = await rejection(fixture.client.refresh());
      expect(isCredentialError(wrong) && wrong.reason).toBe('wrong_provider');
      expect(fixture.client.fingerprint).toBe(before);
      await fixture.client.sdk.chat.completions.create(chat);
    } finally {
      await fixture.close();
    }
  });
});

describe('re-reading after a rejection', () => {
  it('re-reads an environment variable', async () => {
    const oldKey = testKey('openai', 'env-old');
    const newKey = testKey('openai', 'env-new');
    vi.stubEnv('ROTATION_TEST_KEY', oldKey);
    const fixture = await openAIFixture({ key: oldKey, source: 'env:ROTATION_TEST_KEY' });
    try {
      fixture.simulator.revokeKey(oldKey);
      fixture.simulator.addKey(newKey);
      vi.stubEnv('ROTATION_TEST_KEY', newKey);
      await fixture.client.sdk.chat.completions.create(chat);
      expect(fixture.client.maskedId).toBe(`sk-proj-****${newKey.slice(-4)}`);
    } finally {
      await fixture.close();
    }
  });

  it('makes one read for many rejections of a key the source still holds', async () => {
    const key = testKey('openai', 'cooldown');
    const source = settableSource(key);
    const fixture = await openAIFixture({ key, source });
    try {
      fixture.simulator.revokeKey(key);
      source.reads = 0;
      const errors = await Promise.all(
        Array.from({ length: 20 }, () => rejection(fixture.client.sdk.chat.completions.create(chat))),
      );
      for (const error of errors) expect(isCredentialError(error) && error.reason).toBe('unauthorized');
      // Sequential failures right after are within the cooldown too.
      await rejection(fixture.client.sdk.chat.completions.create(chat));
      expect(source.reads).toBe(1);
      expect(fixture.simulator.tally().total.requests).toBe(21);
    } finally {
      await fixture.close();
    }
  });
});

describe('key age', () => {
  const DAY = 86_400_000;

  it('warns once when a file key is older than maxKeyAgeDays, and verify() reports its age', async () => {
    const key = testKey('openai', 'old-file');
    const path = await keyFile(key);
    const changed = new Date(Date.now() - 120 * DAY);
    await utimes(path, changed, changed);
    const fixture = await openAIFixture({ key, source: keys.file(path) });
    try {
      const warnings = fixture.logger.lines.filter(
        (line) => line.startsWith('warn') && line.includes('120 days'),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('rotate it');
      expect(warnings[0]).toContain(fixture.client.maskedId);
      expect(warnings[0]).not.toContain(key);
      const verified = await fixture.client.verify();
      expect(verified.keyAgeDays).toBe(120);
      expect(Math.abs((verified.keyChangedAt?.getTime() ?? 0) - changed.getTime())).toBeLessThan(1000);
      await fixture.client.sdk.chat.completions.create(chat);
      expect(fixture.logger.lines.filter((line) => line.includes('120 days'))).toHaveLength(1);
    } finally {
      await fixture.close();
    }
  });

  it('honours maxKeyAgeDays and false, and says nothing when the source cannot tell', async () => {
    const key = testKey('openai', 'age-options');
    const path = await keyFile(key);
    const changed = new Date(Date.now() - 20 * DAY);
    await utimes(path, changed, changed);
    const strict = await openAIFixture({ key, source: keys.file(path), client: { maxKeyAgeDays: 7 } });
    const off = await openAIFixture({ key, source: keys.file(path), client: { maxKeyAgeDays: false } });
    const literal = await openAIFixture({ key });
    try {
      expect(strict.logger.lines.some((line) => line.includes('20 days'))).toBe(true);
      expect(off.logger.lines.some((line) => line.includes('days ago'))).toBe(false);
      expect(literal.logger.lines.some((line) => line.includes('days ago'))).toBe(false);
      expect((await literal.client.verify()).keyAgeDays).toBeUndefined();
    } finally {
      await Promise.all([strict.close(), off.close(), literal.close()]);
    }
  });

  it('refuses a maxKeyAgeDays that is not a number of days', async () => {
    const error = await rejection(openAIFixture({ client: { maxKeyAgeDays: -1 } }));
    expect((error as Error).message).toContain('maxKeyAgeDays');
  });
});
