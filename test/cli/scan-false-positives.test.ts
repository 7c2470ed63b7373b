/**
 * The false-positive corpus: this project's own `node_modules` (hundreds of MiB of real code by
 * many authors, a fixed quarter of its files) and `dist/` (whole, after `npm run build`). No
 * high-confidence finding is allowed; every low one must be listed, with why it is accepted, in
 * docs/scan-false-positives.md. `KEYCARD_FP_FULL=1` scans every file instead of the sample.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Finding, listFiles, newScanStats, scanFile } from '../../src/cli/scan.js';

const root = join(import.meta.dirname, '../..');

/** A quarter of node_modules, always the same files: the first byte of SHA-1 of the path, mod 4. */
function sampled(path: string): boolean {
  if (process.env['KEYCARD_FP_FULL'] === '1') return true;
  const rel = relative(root, path);
  if (!rel.startsWith('node_modules')) return true;
  return (createHash('sha1').update(rel).digest()[0] ?? 0) % 4 === 0;
}

describe('keycard scan on real code', () => {
  it('finds no high-confidence key in node_modules and dist, and every low one is documented', async () => {
    const stats = newScanStats();
    const files = (await listFiles([join(root, 'node_modules'), join(root, 'dist')], stats)).filter(sampled);
    const cwd = process.cwd();
    process.chdir(root);
    const findings: Finding[] = [];
    try {
      for (const file of files) findings.push(...(await scanFile(file, stats)));
    } finally {
      process.chdir(cwd);
    }
    const high = findings.filter((finding) => finding.confidence === 'high');
    const low = findings.filter((finding) => finding.confidence === 'low');
    console.log(
      `false-positive corpus: ${stats.files} files, ${(stats.bytes / 1024 / 1024).toFixed(1)} MiB; ${high.length} high, ${low.length} low`,
    );
    expect(stats.bytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(high.map(({ file, line, rule }) => `${file}:${line} ${rule}`)).toEqual([]);
    const documented = await readFile(join(root, 'docs/scan-false-positives.md'), 'utf8');
    for (const finding of low) expect(documented, `${finding.file} ${finding.rule}`).toContain(finding.file);
  }, 60_000);
});
