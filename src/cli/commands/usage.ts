/**
 * `keycard usage`: totals from the ledger by one or more dimensions, as a table with a totals row,
 * JSON or CSV (each row with its provider); a terminal chart of daily cost; a self-contained HTML
 * report with tables and charts. The formatting is in `../usage-format.ts` and `../report.ts`.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { KeycardError } from '../../errors.js';
import { BaseLedger } from '../../ledger/base.js';
import { defaultLedger } from '../../ledger/default.js';
import { openLedger } from '../../ledger/open.js';
import { dayOf } from '../../ledger/totals.js';
import type { Ledger, TotalsRow } from '../../ledger/types.js';
import { CliError, colors, describeError, err, hideUrlPasswords, json, out, table } from '../output.js';
import { renderReport } from '../report.js';
import { csvCell, plain } from '../sanitize.js';
import {
  attachProviders,
  type ByDimension,
  chartWidth,
  dayRange,
  labelOf,
  parseBy,
  queryDimensions,
  rawValue,
  renderChart,
  SUM_COLUMNS,
  tableRows,
} from '../usage-format.js';

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
  home?: string;
}

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

/** The chart's series for `dims` (without day and hour): one per key by default. */
function chartOf(
  rows: TotalsRow[],
  dims: readonly ByDimension[],
  range: { since?: Date; until?: Date },
): string {
  const names = dims.length === 0 ? 'key' : dims.map((dim) => dim.name).join(', ');
  const seriesName = (row: TotalsRow) =>
    dims.length === 0
      ? plain(row.maskedId ?? row.fingerprint ?? 'key')
      : dims
          .map((dim) =>
            dim.dimension === 'fingerprint' ? plain(row.maskedId ?? '') : labelOf(row, dim.dimension),
          )
          .join(' · ');
  const present = rows
    .map((row) => row.day ?? '')
    .filter((day) => day !== '')
    .sort();
  if (present.length === 0) return 'No usage in this range.';
  const last = present.at(-1) ?? '';
  // From --since when given (up to a quarter back), else from the first day with usage; and a first
  // day alone is not a chart: at least the week ending with the last day.
  const quarterBack = dayOf(new Date(Date.parse(`${last}T00:00:00Z`) - 91 * 86_400_000));
  const wanted = range.since === undefined ? (present[0] ?? last) : dayOf(range.since);
  const from = [wanted, quarterBack].sort()[1] ?? wanted;
  const first = [present[0] ?? last, from].sort()[0] ?? last;
  const days = dayRange(first, last, 7);
  const series = new Map<string, number[]>();
  for (const row of rows) {
    const name = seriesName(row);
    const values = series.get(name) ?? days.map(() => 0);
    const index = days.indexOf(row.day ?? '');
    if (index >= 0) values[index] = (values[index] ?? 0) + (row.costUsd ?? 0);
    series.set(name, values);
  }
  return renderChart(
    `Daily cost per ${names}, ${days[0]} to ${days.at(-1)} (UTC)`,
    days,
    [...series].map(([name, values]) => ({ name, values })),
    {
      width: chartWidth(
        process.stdout.isTTY ? process.stdout.columns : Number(process.env['COLUMNS']) || undefined,
      ),
      colors,
    },
  );
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

/** The tag names the ledger's events of `range` carry (none for a ledger that is not keycard's). */
async function tagNamesOf(ledger: Ledger, range: { since?: Date; until?: Date }): Promise<string[]> {
  return ledger instanceof BaseLedger ? ledger.tagNames(range) : [];
}

export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description('show what each key, provider, model and workflow used and cost, from the ledger')
    .option(
      '--by <dimensions>',
      'group by key, provider, model, workflow, operation, day, hour or tag:NAME; several, comma-separated (provider,model)',
    )
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
    .option(
      '--home <dir>',
      'read the default ledger of this KEYCARD_HOME (as keycard demo --home DIR keeps it)',
    )
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--chart', 'draw the daily cost per key (or per --by) in the terminal')
    .option('--html <file>', 'write a self-contained HTML report: tables and charts, no script')
    .option('--budget-usd <usd>', 'in the HTML report, show each key against this monthly budget')
    .addHelpText(
      'after',
      `
Examples:
  keycard usage
  keycard usage --by provider,model --since 7d
  keycard usage --by day --csv > usage.csv
  keycard usage --by tag:team,model
  keycard usage --chart --since 30d
  keycard usage --chart --by provider
  keycard usage --html report.html --budget-usd 50
  keycard usage --home ./keycard-demo --chart
  keycard usage --ledger postgres://keycard@db/usage?schema=keycard --json
  PGPASSWORD=… keycard usage --ledger postgres://keycard@db/usage
  keycard usage --ledger-env KEYCARD_LEDGER_URL`,
    )
    .action(async (options: UsageOptions) => {
      const dims = parseBy(options.by ?? 'key');
      const since = options.since === undefined ? undefined : parseTime(options.since, '--since');
      const until = options.until === undefined ? undefined : parseTime(options.until, '--until');
      const budget = options.budgetUsd === undefined ? undefined : Number(options.budgetUsd);
      if (budget !== undefined && !(budget > 0))
        throw new CliError('keycard usage: --budget-usd takes an amount in USD.', 2);
      if (options.home !== undefined) {
        if (options.ledger !== undefined || options.ledgerEnv !== undefined)
          throw new CliError('keycard usage: give --home or a ledger (--ledger, --ledger-env), not both.', 2);
        process.env['KEYCARD_HOME'] = options.home;
      }
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
            byProvider: await ledger.totals({ ...range, by: ['provider'] }),
            byModel: await ledger.totals({ ...range, by: ['provider', 'model'] }),
            byKey: await ledger.totals({ ...range, by: ['provider', 'fingerprint'] }),
            byWorkflow: await ledger.totals({ ...range, by: ['workflow'] }),
            byTag: await Promise.all(
              (await tagNamesOf(ledger, range)).map(async (name) => ({
                name,
                rows: await ledger.totals({ ...range, by: [`tag:${name}`] }),
              })),
            ),
            byDayProvider: await ledger.totals({ ...range, by: ['day', 'provider'] }),
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
          // The series: --by's dimensions but day and hour (the axis); by key when none is left.
          const series =
            options.by === undefined
              ? []
              : dims.filter((dim) => dim.dimension !== 'day' && dim.dimension !== 'hour');
          const query = series.length === 0 ? ['fingerprint' as const] : series.map((dim) => dim.dimension);
          out(chartOf(await ledger.totals({ ...range, by: ['day', ...query] }), series, range));
          return;
        }
        const query = queryDimensions(dims);
        const rows = await ledger.totals({ ...range, by: query });
        // Every row names its provider: when the query is not by provider, the providers of each group.
        const withProvider = query.includes('provider')
          ? rows
          : attachProviders(rows, await ledger.totals({ ...range, by: [...query, 'provider'] }), query);
        if (options.json === true) {
          json(withProvider);
          return;
        }
        if (options.csv === true) {
          const head = [
            ...dims.flatMap((dim) => (dim.dimension === 'fingerprint' ? ['key', 'maskedId'] : [dim.name])),
            ...(dims.some((dim) => dim.dimension === 'provider') ? [] : ['provider']),
            ...SUM_COLUMNS,
          ];
          out(head.join(','));
          for (const row of withProvider) {
            const cells = [
              ...dims.flatMap((dim) =>
                dim.dimension === 'fingerprint'
                  ? [row.fingerprint, row.maskedId]
                  : [rawValue(row as TotalsRow, dim.dimension)],
              ),
              ...(dims.some((dim) => dim.dimension === 'provider') ? [] : [row.provider]),
              ...SUM_COLUMNS.map((column) => row[column]),
            ];
            out(cells.map(csvCell).join(','));
          }
          return;
        }
        if (rows.length === 0) {
          out('No usage recorded in this range.');
          return;
        }
        const [total] = await ledger.totals(range);
        const { head, body } = tableRows(withProvider as TotalsRow[], total, dims);
        out(table(head, body));
      } finally {
        await ledger.close();
      }
    });
}
