/**
 * The redactor (and the scanner, which shares its matcher) on lines built to stress its patterns:
 * every trigger followed by long runs that almost match, and prefixes repeated back to back. Time
 * must stay linear in the length of a line: time per byte on a 1 MiB line about that on a 16 KiB
 * line. (How fast, in MiB/s, is a benchmark's claim, not a test's: `npm run bench` reports the
 * slowest hostile line against its 100 MiB/s target.)
 *
 * Robust on a loaded machine: CPU time of this process, not wall time; best of several runs after
 * a warm-up; a ratio between two lengths measured the same way, which load does not change much;
 * and a line over the ratio is measured again before it counts.
 */
import { describe, expect, it } from 'vitest';
import { findSecrets, redactText } from '../../src/redact/redactor.js';
import { HOSTILE_LINES, type HostileLine, type LineMeasure, measureLine } from './hostile-lines.js';

/** Time per byte on the long line over that on the 16 KiB line. Linear: about 1; quadratic: 8 or more. */
const MAX_RATIO = 4;

/** Measures again (up to three times) while a line is over the ratio: a pause of the machine is not the code. */
function measured(family: HostileLine, work: (text: string) => unknown): LineMeasure {
  let result = measureLine(family, work, MAX_RATIO);
  for (let retry = 0; retry < 3 && !(result.ratio < MAX_RATIO); retry += 1) {
    result = measureLine(family, work, MAX_RATIO);
  }
  return result;
}

function expectLinear(family: HostileLine, work: (text: string) => unknown): void {
  const result = measured(family, work);
  const summary = `${family.name}: ${result.small.toFixed(0)} / ${result.middle.toFixed(0)} / ${result.large.toFixed(0)} MiB/s on 16 KiB / 128 KiB / 1 MiB, ratio ${result.ratio.toFixed(2)}`;
  expect(result.ratio, summary).toBeLessThan(MAX_RATIO);
}

describe('hostile lines', () => {
  it('the measure catches a super-linear matcher', () => {
    // Quadratic on purpose: a search from every 256th position to the end of the line.
    const quadratic = (text: string) => {
      let total = 0;
      for (let index = 0; index < text.length; index += 256) total += text.indexOf('\u0001', index);
      return total;
    };
    const family = HOSTILE_LINES[0];
    if (family === undefined) throw new Error('no hostile line');
    expect(measureLine(family, quadratic, MAX_RATIO).ratio).toBeGreaterThan(MAX_RATIO);
  });

  it.each(HOSTILE_LINES.map((family) => [family.name, family] as const))(
    'redactText stays linear: %s',
    (_name, family) => {
      expectLinear(family, redactText);
    },
    60_000,
  );

  it.each(HOSTILE_LINES.map((family) => [family.name, family] as const))(
    'findSecrets (keycard scan) stays linear: %s',
    (_name, family) => {
      expectLinear(family, findSecrets);
    },
    60_000,
  );

  it('finds nothing on a hostile line: none of them holds a key', () => {
    for (const family of HOSTILE_LINES) {
      const line = family.make(16 * 1024);
      const found = findSecrets(line).filter((secret) => secret.label !== 'credential');
      expect(found, family.name).toEqual([]);
    }
  });
});
