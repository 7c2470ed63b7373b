/**
 * `keycard usage`: totals from the ledger as a table, JSON or CSV; a terminal chart of daily cost
 * per key; a self-contained HTML report with charts.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import asciichart from 'asciichart';
import type { Command } from 'commander';
import { KeycardError } from '../../errors.js';
import { defaultLedger } from '../../ledger/default.js';
import { openLedger } from '../../ledger/open.js';
import type { Ledger, TotalsDimension, TotalsRow } from '../../ledger/types.js';
import { CliError, colors, describeError, err, hideUrlPasswords, json, out, table, usd } from '../output.js';
import { renderReport } from '../report.js';
import { csvCell, plain } from '../sanitize.js';

interface UsageOptions {
  by?: string;
  since?: string;
  until?: string;
  ledger?: string;
  ledgerEnv?: string;
  json?: boolean;
  csv?: boolean;
  chart?: boolean;
  html?: string;
  budgetUsd?: string;
}

const BY: Record<string, TotalsDimension> = {
  key: 'fingerprint',
  provider: 'provider',
  model: 'model',
  workflow: 'workflow',
  day: 'day',
  hour: 'hour',
  operation: 'operation',
};

/** `2026-11-01`, an ISO time, or `7d` / `12h` ago. */
export function parseTime(text: string, option: string): Date {
  const relative = /^(\d+)([dhm])$/.exec(text.trim());
  if (relative !== null) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm'];
    return new Date(Date.now() - Number(relative[1]) * unit);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new CliError(
      `keycard usage: ${option} takes a date (2026-11-01), a time (ISO 8601) or an age (7d, 12h).`,
      2,
    );
  }
  return date;
}

/** A row's label for the terminal; ledger values may come from a provider or another process. */
function label(row: TotalsRow, by: TotalsDimension): string {
  return plain(rawLabel(row, by));
}

function rawLabel(row: TotalsRow, by: TotalsDimension): string {
  switch (by) {
    case 'fingerprint':
      return `${row.maskedId ?? ''} (${row.fingerprint ?? ''})`;
    case 'provider':
      return row.provider ?? '';
    case 'model':
      return row.model ?? '(none)';
    case 'workflow':
      return row.workflow ?? '(none)';
    case 'day':
      return row.day ?? '';
    case 'hour':
      return row.hour ?? '';
    case 'operation':
      return row.operation ?? '';
  }
}

/** Daily cost per key, as lines in the terminal. */
function chart(rows: TotalsRow[]): string {
  const days = [...new Set(rows.map((row) => row.day ?? ''))].sort();
  const keys = [...new Set(rows.map((row) => plain(row.maskedId ?? row.fingerprint ?? 'key')))];
  if (days.length === 0) return 'No usage in this range.';
  const series = keys.map((key) =>
    days.map((day) =>
      rows
        .filter((row) => row.day === day && plain(row.maskedId ?? row.fingerprint ?? 'key') === key)
        .reduce((sum, row) => sum + (row.costUsd ?? 0), 0),
    ),
  );
  const palette = [
    asciichart.blue,
    asciichart.yellow,
    asciichart.green,
    asciichart.red,
    asciichart.magenta,
    asciichart.cyan,
  ];
  const useColor = colors.isColorSupported;
  // asciichart needs two points to draw a line.
  const padded = series.map((values) => (values.length === 1 ? [values[0] ?? 0, values[0] ?? 0] : values));
  const plot = asciichart.plot(padded, {
    height: 10,
    format: (value: number) => `$${value.toFixed(4)}`.padStart(10),
    ...(useColor ? { colors: keys.map((_, index) => palette[index % palette.length] as string) } : {}),
  });
  const legend = keys
    .map((key, index) => `${useColor ? colors.bold(`■ ${key}`) : `${'*#+o@%'[index % 6]} ${key}`}`)
    .join('   ');
  return `Daily cost per key, ${days[0]} to ${days.at(-1)}\n${plot}\n${legend}`;
}

/**
 * The ledger to read, ready: `--ledger URL`, or `--ledger-env NAME` (the URL from a variable, so
 * that a password in it never shows in `ps`), or the default. One line naming it and the cause
 * when it cannot be opened.
 */
async function openFor(options: UsageOptions): Promise<Ledger> {
  if (options.ledger !== undefined && options.ledgerEnv !== undefined)
    throw new CliError('keycard usage: give --ledger or --ledger-env, not both.', 2);
  let url = options.ledger;
  if (options.ledgerEnv !== undefined) {
    url = process.env[options.ledgerEnv]?.trim();
    if (url === undefined || url === '')
      throw new CliError(`keycard usage: --ledger-env names ${options.ledgerEnv}, which is not set.`, 2);
  }
  const passwordInArgv =
    options.ledgerEnv === undefined && url !== undefined && /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(url);
  let ledger: Ledger | undefined;
  try {
    ledger = url === undefined ? await defaultLedger() : await openLedger(url);
    // PostgreSQL connects and migrates in the background: wait, so that a dead server is named here.
    await (ledger as { ready?: Promise<void> }).ready;
    // Advice, in one line, once the ledger is open (a failure's one line says what went wrong).
    if (passwordInArgv)
      err(
        'keycard usage: the database password on the command line is visible to other users (ps); use PGPASSWORD, or --ledger-env NAME with the URL in that variable.',
      );
    return ledger;
  } catch (error) {
    await ledger?.close().catch(() => undefined);
    const where =
      options.ledgerEnv !== undefined
        ? `the ledger in ${options.ledgerEnv}`
        : url === undefined
          ? 'the default ledger'
          : `the ledger ${url}`;
    const cause = describeError(error).replace(/^keycard: /, '');
    // keycard's own ledger errors already name the ledger (without its password) and the cause.
    if (KeycardError.is(error) && /\bledger\b/.test(cause))
      throw new CliError(`keycard usage: ${hideUrlPasswords(cause)}`);
    throw new CliError(`keycard usage: cannot open ${hideUrlPasswords(where)}: ${cause}`);
  }
}

export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description('show what each key, provider, model and workflow used and cost, from the ledger')
    .option('--by <dimension>', 'group by key, provider, model, workflow, day, hour or operation', 'key')
    .option('--since <when>', 'from this date, time or age (2026-11-01, 7d, 12h)')
    .option('--until <when>', 'before this date, time or age')
    .option(
      '--ledger <url>',
      'the ledger: sqlite:PATH, jsonl:PATH, postgres://…; default: $KEYCARD_HOME/ledger.db',
    )
    .option(
      '--ledger-env <name>',
      'read the ledger URL from this environment variable (keeps a password out of ps)',
    )
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--chart', 'draw the daily cost per key in the terminal')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--budget-usd <usd>', 'in the HTML report, show each key against this monthly budget')
    .addHelpText(
      'after',
      `
Examples:
  keycard usage
  keycard usage --by workflow --since 7d
  keycard usage --by day --csv > usage.csv
  keycard usage --chart --since 30d
  keycard usage --html report.html --budget-usd 50
  keycard usage --ledger postgres://keycard@db/usage?schema=keycard --json
  PGPASSWORD=… keycard usage --ledger postgres://keycard@db/usage
  keycard usage --ledger-env KEYCARD_LEDGER_URL`,
    )
    .action(async (options: UsageOptions) => {
      const by = BY[options.by ?? 'key'];
      if (by === undefined) {
        throw new CliError(`keycard usage: --by takes one of ${Object.keys(BY).join(', ')}.`, 2);
      }
      const since = options.since === undefined ? undefined : parseTime(options.since, '--since');
      const until = options.until === undefined ? undefined : parseTime(options.until, '--until');
      const budget = options.budgetUsd === undefined ? undefined : Number(options.budgetUsd);
      if (budget !== undefined && !(budget > 0))
        throw new CliError('keycard usage: --budget-usd takes an amount in USD.', 2);
      const range = { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
      const ledger = await openFor(options);
      try {
        if (options.html !== undefined) {
          const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
          const month =
            budget === undefined ? [] : await ledger.totals({ by: ['fingerprint'], since: monthStart });
          const [totals] = await ledger.totals(range);
          const page = renderReport({
            generatedAt: new Date().toISOString(),
            since: since?.toISOString() ?? null,
            until: until?.toISOString() ?? null,
            byDayKey: await ledger.totals({ ...range, by: ['day', 'fingerprint'] }),
            byDayWorkflow: await ledger.totals({ ...range, by: ['day', 'workflow'] }),
            budget:
              budget === undefined
                ? null
                : {
                    usd: budget,
                    keys: month.map((row) => ({ maskedId: row.maskedId ?? '', costUsd: row.costUsd ?? 0 })),
                  },
            totals: totals ?? null,
          });
          await writeFile(options.html, page, { mode: 0o600 });
          out(`Wrote ${options.html}`);
          return;
        }
        if (options.chart === true) {
          out(chart(await ledger.totals({ ...range, by: ['day', 'fingerprint'] })));
          return;
        }
        const rows = await ledger.totals({ ...range, by: [by] });
        if (options.json === true) {
          json(rows);
          return;
        }
        const columns = [
          'requests',
          'errors',
          'inputTokens',
          'cachedInputTokens',
          'outputTokens',
          'reasoningTokens',
          'costUsd',
          'unpricedRequests',
        ] as const;
        if (options.csv === true) {
          const head = [options.by ?? 'key', ...(by === 'fingerprint' ? ['maskedId'] : []), ...columns];
          out(head.join(','));
          for (const row of rows) {
            const first = by === 'fingerprint' ? [row.fingerprint, row.maskedId] : [rawLabel(row, by)];
            out([...first, ...columns.map((column) => row[column])].map(csvCell).join(','));
          }
          return;
        }
        if (rows.length === 0) {
          out('No usage recorded in this range.');
          return;
        }
        out(
          table(
            [options.by ?? 'key', 'requests', 'errors', 'input', 'cached', 'output', 'cost'],
            rows.map((row) => [
              label(row, by),
              row.requests,
              row.errors,
              row.inputTokens,
              row.cachedInputTokens,
              row.outputTokens,
              `${usd(row.costUsd)}${row.unpricedRequests > 0 ? ` (+${row.unpricedRequests} unpriced)` : ''}`,
            ]),
          ),
        );
      } finally {
        await ledger.close();
      }
    });
}
