/**
 * What `keycard scan` prints: each finding with what to do about it (and, with `--verify`,
 * whether it is live), as a table for people (the default), JSON, JSON lines or SARIF. None holds
 * a key: a finding never carries one, and everything goes through the redacting `out()`.
 * @module
 */
import { colors, out } from './output.js';
import type { Finding } from './scan.js';
import type { Remediation } from './scan-remediation.js';
import { sarifLog } from './scan-sarif.js';
import type { Verification } from './scan-verify.js';

/** The formats `--format` takes. */
export const SCAN_FORMATS = ['table', 'json', 'jsonl', 'sarif'] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

/** Exit codes of `keycard scan`. */
export const SCAN_EXIT = {
  /** No key found. */
  clean: 0,
  /** A key found (not verified, or verified and not live). */
  found: 1,
  /** The scan could not run (a usage error, an unreadable path, git failed). */
  error: 2,
  /** With `--verify`: a key found that its provider accepts. */
  live: 3,
} as const;

/** A finding as printed: with its rule, what to do, and its verification when asked for. */
export type ScanReport = Finding & {
  remediation: Remediation;
  verification?: Verification | undefined;
};

const ORDER: Record<string, number> = { live: 0, unknown: 1, revoked: 2 };

/** The reports of `findings`; with verifications, live keys first, then unknown, then revoked. */
export function buildReports(
  findings: readonly Finding[],
  remediation: (finding: Finding) => Remediation,
  verifications?: ReadonlyMap<string, Verification>,
): ScanReport[] {
  const reports = findings.map((finding): ScanReport => {
    const verification = verifications?.get(finding.fingerprint);
    return {
      ...finding,
      remediation: remediation(finding),
      ...(verifications === undefined
        ? {}
        : {
            verification: verification ?? {
              status: 'unknown',
              reason: finding.confidence === 'low' ? 'low confidence: not sent' : 'not verified',
            },
          }),
    };
  });
  // A stable sort: low-confidence matches last; with verifications, live keys first, then
  // unknown, then revoked; within that, the scan's order.
  const rank = (report: ScanReport) =>
    (report.confidence === 'low' ? 10 : 0) +
    (verifications === undefined ? 0 : (ORDER[report.verification?.status ?? 'unknown'] ?? 1));
  return reports
    .map((report, index) => ({ report, index }))
    .sort((a, b) => rank(a.report) - rank(b.report) || a.index - b.index)
    .map(({ report }) => report);
}

/** The exit code for `reports`: 3 when one was verified live, 1 when any, else 0. */
export function scanExitCode(reports: readonly ScanReport[]): number {
  // Low-confidence matches (placeholders, self-declared fakes) never fail a scan.
  const keys = reports.filter((report) => report.confidence !== 'low');
  if (keys.some((report) => report.verification?.status === 'live')) return SCAN_EXIT.live;
  return keys.length > 0 ? SCAN_EXIT.found : SCAN_EXIT.clean;
}

function identityText(identity: Verification['identity']): string {
  return Object.entries(identity ?? {})
    .slice(0, 4)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
}

function statusText(verification: Verification | undefined): string {
  if (verification === undefined) return '';
  switch (verification.status) {
    case 'live': {
      const identity = identityText(verification.identity);
      const note = verification.reason === undefined ? '' : ` (${verification.reason})`;
      return `  ${colors.red(colors.bold('LIVE'))}${identity === '' ? '' : ` ${identity}`}${note}`;
    }
    case 'revoked':
      return `  ${colors.green('revoked')}`;
    default:
      return `  ${colors.yellow('unknown')} (${verification.reason ?? 'not verified'})`;
  }
}

function printTable(all: readonly ScanReport[], summary: string): void {
  const reports = all.filter((report) => report.confidence !== 'low');
  const low = all.filter((report) => report.confidence === 'low');
  for (const report of reports) {
    const where =
      report.commit === undefined
        ? `${report.file}:${report.line}`
        : `${report.commit}:${report.file}:${report.line}`;
    out(
      `${colors.bold(where)}  ${colors.red(report.provider)}  ${report.maskedId}  ${colors.dim(report.fingerprint)}${statusText(report.verification)}`,
    );
    if (report.verification?.status === 'revoked')
      out(colors.dim('  → its provider rejects it already; remove it from the code all the same'));
    else out(`  → revoke it at ${report.remediation.revokeAt}`);
    if (report.remediation.rotate !== undefined)
      out(`  → it is in your keystore: ${colors.bold(report.remediation.rotate)}`);
  }
  if (reports.some((report) => report.verification !== undefined)) {
    const count = (status: string) =>
      reports.filter((report) => report.verification?.status === status).length;
    out(
      `Verified with each key's provider: ${count('live')} live, ${count('revoked')} revoked, ${count('unknown')} unknown.`,
    );
  }
  if (low.length > 0) {
    out(
      colors.dim(
        `${low.length} low-confidence match(es), not counted (placeholders, fixtures, shapes without context):`,
      ),
    );
    for (const report of low) {
      out(
        colors.dim(
          `  ${report.commit === undefined ? '' : `${report.commit}:`}${report.file}:${report.line}  ${report.provider}  ${report.maskedId}  ${report.reason ?? ''}`,
        ),
      );
    }
  }
  out(
    reports.length === 0
      ? colors.green(`No keys found ${summary}.`)
      : colors.red(
          `${reports.length} key(s) found ${summary}. Revoke each at its provider, remove it, and keep keys in env, files outside the repository, Vault or the keystore.`,
        ),
  );
}

/** Prints `reports` in `format`; `summary` says what was read (`in 12 file(s) (3.1 KiB)`). */
export function printReports(
  reports: readonly ScanReport[],
  format: ScanFormat,
  summary: string,
  version: string,
): void {
  switch (format) {
    case 'json':
      out(JSON.stringify(reports, null, 2));
      return;
    case 'jsonl':
      for (const report of reports) out(JSON.stringify(report));
      return;
    case 'sarif':
      out(JSON.stringify(sarifLog(reports, version), null, 2));
      return;
    default:
      printTable(reports, summary);
  }
}
