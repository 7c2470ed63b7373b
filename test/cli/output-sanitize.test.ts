/**
 * Nothing the command prints drives a terminal or a spreadsheet. Property tests over random
 * strings full of control characters for the sanitiser and CSV cells, then `keycard usage` in
 * every format over a real SQLite ledger whose model, workflow and masked-id values carry escape
 * sequences (title, clear screen, OSC 8 link, OSC 52 clipboard, BEL, bidi overrides).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvCell, escapeControls } from '../../src/cli/sanitize.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { keycard } from '../helpers/cli.js';
import { usageEvent } from '../helpers/ledgers.js';

/** Any control character a terminal acts on, and the bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never be printed raw.
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const ESC = String.fromCharCode(27);
const BEL = String.fromCharCode(7);

/** Strings biased towards control characters and escape sequences. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        `${ESC}]0;owned${BEL}`,
        `${ESC}[2J`,
        `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`,
        `${ESC}]52;c;aGVsbG8=${BEL}`,
        `${ESC}[31m`,
        '\u202e',
        '\u009b31m',
        '\r',
        '=HYPERLINK("https://evil.example")',
        '@SUM(1)',
      ),
      fc.integer({ min: 0, max: 0x9f }).map((code) => String.fromCharCode(code)),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

describe('escapeControls', () => {
  it('leaves no control character but newline and tab', () => {
    fc.assert(fc.property(hostile, (text) => !RAW_CONTROL.test(escapeControls(text))));
  });

  it('keeps only SGR colour sequences when colours are on', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const printed = escapeControls(text, { keepColors: true });
        // biome-ignore lint/suspicious/noControlCharactersInRegex: every ESC left starts an SGR.
        const withoutSgr = printed.replace(/\u001b\[[0-9;]*m/g, '');
        return !RAW_CONTROL.test(withoutSgr);
      }),
    );
  });

  it('keeps JSON exact: escaped JSON text parses to the same value', () => {
    fc.assert(
      fc.property(fc.dictionary(hostile, hostile), (value) => {
        expect(JSON.parse(escapeControls(JSON.stringify(value)))).toEqual(value);
      }),
    );
  });

  it('changes nothing in plain text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        fc.pre(!RAW_CONTROL.test(text));
        return escapeControls(text) === text;
      }),
    );
  });
});

/** A CSV line's cells, by RFC 4180. */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index] as string;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}

describe('csvCell', () => {
  it('neutralises formulas and round-trips everything else', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const [cell] = parseCsvLine(csvCell(text));
        const formula = /^[=+\-@\t\r]/.test(text);
        expect(cell).toBe(formula ? `'${text}` : text);
        expect(/^[=+\-@\t\r]/.test(cell as string)).toBe(false);
      }),
    );
  });

  it('writes numbers as they are', () => {
    expect(csvCell(0.25)).toBe('0.25');
    expect(csvCell(null)).toBe('');
  });
});

describe('keycard usage with hostile values in the ledger', () => {
  const names = fc.sample(
    hostile.filter((text) => text.trim() !== ''),
    { numRuns: 12, seed: 7 },
  );
  const models = [`gpt${ESC}]0;owned${BEL}`, `=HYPERLINK("https://evil.example")`, `@SUM(1)`, ...names];
  let url: string;

  beforeAll(async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-cli-hostile-')), 'ledger.db');
    url = `sqlite:${path}`;
    const ledger = await openSqliteLedger(path);
    models.forEach((model, index) => {
      ledger.record(
        usageEvent({
          model,
          workflow: `flow${ESC}[2J${index}`,
          maskedId: `sk-****${ESC}]52;c;aGk=${BEL}${index}`,
          keyFingerprint: index.toString(16).padStart(12, 'a'),
          costUsd: 0.01,
        }),
      );
    });
    await ledger.close();
  });

  it.each(
    [['--by', 'model'], ['--by', 'workflow'], ['--by', 'key'], ['--chart'], ['--csv', '--by', 'model']].map(
      (args) => [args.join(' '), args] as const,
    ),
  )('prints no raw control character with %s', async (_name, args) => {
    const result = await keycard(['usage', '--ledger', url, ...args]);
    expect(result.code).toBe(0);
    expect(RAW_CONTROL.test(result.stdout)).toBe(false);
    expect(RAW_CONTROL.test(result.stderr)).toBe(false);
    // The hostile values were printed, escaped visibly.
    expect(result.stdout).toContain('\\u001b');
  });

  it('prints exact JSON', async () => {
    const result = await keycard(['usage', '--ledger', url, '--by', 'model', '--json']);
    expect(RAW_CONTROL.test(result.stdout)).toBe(false);
    const rows = JSON.parse(result.stdout) as Array<{ model: string }>;
    expect(rows.map((row) => row.model).sort()).toEqual([...new Set(models)].sort());
  });

  it('writes CSV that a spreadsheet does not run', async () => {
    const result = await keycard(['usage', '--ledger', url, '--by', 'model', '--csv']);
    for (const line of result.stdout.trim().split('\n').slice(1)) {
      expect(parseCsvLine(line)[0]).not.toMatch(/^[=+\-@\t\r]/);
    }
  });
});

describe('keycard usage --ledger-env', () => {
  it('reads the ledger URL from the named variable, so no password sits in argv', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'keycard-cli-ledger-env-')), 'ledger.db');
    const ledger = await openSqliteLedger(path);
    ledger.record(usageEvent({ model: 'gpt-4o-mini' }));
    await ledger.close();
    const result = await keycard(
      ['usage', '--ledger-env', 'KEYCARD_TEST_LEDGER', '--by', 'model', '--json'],
      {
        env: { KEYCARD_TEST_LEDGER: `sqlite:${path}` },
      },
    );
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as Array<{ model: string }>)[0]?.model).toBe('gpt-4o-mini');
    const unset = await keycard(['usage', '--ledger-env', 'KEYCARD_TEST_UNSET']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('KEYCARD_TEST_UNSET, which is not set');
  });
});
