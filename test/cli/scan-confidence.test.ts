/**
 * `keycard scan` with low-confidence matches: listed apart with their reason, in `--json` with
 * `confidence`, `rule` and `reason`, and not failing the exit code; a high one still does.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keycard } from '../helpers/cli.js';
import { randomString, seededRandom, testKey } from '../helpers/keys.js';

describe('keycard scan confidence', () => {
  it('lists low matches apart and exits 0 for them alone; exits 1 for a high one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keycard-scan-confidence-'));
    const groq = `${['gs', 'k'].join('')}_${randomString(seededRandom(3), 52)}`;
    const vault = `s.${randomString(seededRandom(4), 23)}7`;
    await writeFile(join(dir, 'fixture.ts'), `const fakeGroqKey = '${groq}';\nconst moved = ${vault};\n`);
    const low = await keycard(['scan', dir]);
    expect(low.code).toBe(0);
    expect(low.stdout).toContain('No keys found');
    expect(low.stdout).toContain('2 low-confidence match(es), not counted');
    expect(low.stdout).toContain('a fixture that names itself fake');
    expect(low.stdout).not.toContain(groq);
    expect(low.stdout).not.toContain(vault);

    const real = testKey('anthropic-admin', 'confidence');
    await writeFile(join(dir, 'config.ts'), `export const key = '${real}';\n`);
    const high = await keycard(['scan', '--json', dir]);
    expect(high.code).toBe(1);
    expect(high.stdout).not.toContain(real);
    const findings = JSON.parse(high.stdout) as Array<{ rule: string; confidence: string; reason?: string }>;
    expect(findings.map(({ rule, confidence }) => `${rule} ${confidence}`)).toEqual([
      'anthropic high',
      'groq low',
      'vault-legacy low',
    ]);
    expect(findings[1]?.reason).toBe('a fixture that names itself fake');
  });

  it('keeps low matches out of the exit code in every format, and out of --verify', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keycard-scan-confidence-formats-'));
    const groq = `${['gs', 'k'].join('')}_${randomString(seededRandom(5), 52)}`;
    await writeFile(join(dir, 'fixture.ts'), `const fakeGroqKey = '${groq}';\n`);
    for (const format of ['json', 'jsonl', 'sarif']) {
      const result = await keycard(['scan', '--format', format, dir]);
      expect(result.code, format).toBe(0);
      expect(result.stdout, format).not.toContain(groq);
    }
    const sarif = JSON.parse((await keycard(['scan', '--format', 'sarif', dir])).stdout) as {
      runs: Array<{ results: Array<{ level: string; properties: { confidence: string } }> }>;
    };
    expect(
      sarif.runs[0]?.results.map(({ level, properties }) => `${level} ${properties.confidence}`),
    ).toEqual(['note low']);
    // Not sent to Groq: a low match is reported unverified, whatever GROQ_BASE_URL says.
    const verified = await keycard(['scan', '--verify', '--format', 'json', dir], {
      env: { GROQ_BASE_URL: 'http://127.0.0.1:9' },
    });
    expect(verified.code).toBe(0);
    const [report] = JSON.parse(verified.stdout) as Array<{
      verification: { status: string; reason: string };
    }>;
    expect(report?.verification).toEqual({ status: 'unknown', reason: 'low confidence: not sent' });
  });
});
