/**
 * The scanner holds the clear keys it finds only when verification asked for them, by
 * fingerprint, outside the findings: a finding never carries its key.
 */
import { describe, expect, it } from 'vitest';
import { scanText } from '../../src/cli/scan.js';
import { holdKeys, takeHeldKeys } from '../../src/cli/scan-held-keys.js';
import { testKey } from '../helpers/keys.js';

const openai = testKey('openai', 'held-keys');
const slack = testKey('slack', 'held-keys');
const text = `const a = '${openai}';\nSLACK_BOT_TOKEN=${slack}\nconst b = '${openai}';\n`;

describe('keys held for --verify', () => {
  it('holds nothing unless asked', () => {
    expect(scanText(text, 'a.ts')).toHaveLength(3);
    expect(takeHeldKeys().size).toBe(0);
  });

  it('holds each key once, by fingerprint, until taken; the findings never carry one', () => {
    holdKeys();
    const findings = scanText(text, 'a.ts');
    const held = takeHeldKeys();
    expect([...held.values()].sort()).toEqual([openai, slack].sort());
    for (const finding of findings) {
      expect(held.get(finding.fingerprint)).toBe(finding.provider === 'openai' ? openai : slack);
      const own = Object.getOwnPropertyNames(finding).map((name) =>
        String((finding as unknown as Record<string, unknown>)[name]),
      );
      expect(own.join(' ')).not.toContain(openai);
      expect(own.join(' ')).not.toContain(slack);
      expect(JSON.stringify(finding)).not.toContain(openai);
    }
    // Taken: the next scan holds nothing.
    scanText(text, 'b.ts');
    expect(takeHeldKeys().size).toBe(0);
  });
});
