/**
 * `keycard scan [PATHS…]`: finds keys in files (honouring .gitignore, skipping binaries and
 * node_modules), in staged changes (`--staged`, for a pre-commit hook) or in git history
 * (`--git`); prints where and which key (masked), never the key, and what to do about it; with
 * `--verify`, whether each key is live. Exit 1 when a key is found, 3 when one is verified live.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { CliError, err, out } from '../output.js';
import {
  type Finding,
  GitError,
  listFiles,
  newScanStats,
  type ScanStats,
  scanFiles,
  scanStaged,
} from '../scan.js';
import { buildReports, printReports, SCAN_FORMATS, type ScanFormat, scanExitCode } from '../scan-format.js';
import { holdKeys, takeHeldKeys } from '../scan-held-keys.js';
import { countCommits, scanHistory } from '../scan-history.js';
import { HookError, installPreCommitHook } from '../scan-hook.js';
import { startScanWorkers } from '../scan-parallel.js';
import { keystoreNames, remediationFor } from '../scan-remediation.js';
import { VERIFY_DEFAULTS, verifyKeys } from '../scan-verify.js';

interface ScanOptions {
  staged?: boolean;
  git?: boolean;
  installHook?: boolean;
  force?: boolean;
  json?: boolean;
  format?: ScanFormat;
  verify?: boolean;
  verifyTimeout?: string;
  keystore?: string;
  baseline?: string;
  writeBaseline?: string;
}

/** A baseline: fingerprints of deliberate keys (fixtures), with where they were. */
interface Baseline {
  version: 1;
  findings: Array<Pick<Finding, 'file' | 'line' | 'provider' | 'maskedId' | 'fingerprint'>>;
}

async function readBaseline(path: string): Promise<Set<string>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Baseline;
    return new Set(parsed.findings.map((finding) => finding.fingerprint));
  } catch (error) {
    throw new CliError(
      `keycard scan: the baseline ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'not JSON'}).`,
      2,
    );
  }
}

export function registerScan(program: Command): void {
  const version = program.version() ?? '0.0.0';
  program
    .command('scan')
    .argument('[paths...]', 'files and directories to scan', ['.'])
    .description(
      'find keys in files, staged changes or git history; exit 1 when one is found, 3 when one is verified live',
    )
    .option('--staged', 'scan the staged version of staged files (for a pre-commit hook)')
    .option('--git', 'scan every line ever added in the git history')
    .addOption(new Option('--format <format>', 'output format (default: table)').choices(SCAN_FORMATS))
    .option('--json', 'print JSON (the same as --format json)')
    .option(
      '--verify',
      "check each key found live with its own provider's who-am-I call (sends each key to its provider, nowhere else)",
    )
    .option('--verify-timeout <ms>', 'how long each live check may take', String(VERIFY_DEFAULTS.timeoutMs))
    .option('--keystore <file>', 'the keystore to look found keys up in (default: $KEYCARD_HOME/keys.json)')
    .option('--baseline <file>', 'ignore the keys listed in this baseline file (deliberate fixtures)')
    .option('--write-baseline <file>', 'write the keys found now to a baseline file, and exit 0')
    .option('--install-hook', 'write a git pre-commit hook (mode 0755) that runs keycard scan --staged')
    .option('--force', 'with --install-hook: replace an existing pre-commit hook')
    .addHelpText(
      'after',
      `
Prints file:line, provider, masked id and fingerprint, never the key, and where to revoke each key
(and \`keycard keys rotate NAME\` when the key is in your keystore). Lines holding "keycard:allow"
are skipped. .gitignore files are honoured; binaries, .git and node_modules are skipped.

--verify sends each key found to its own provider, and nowhere else, with the free call that
\`keycard check\` makes (OpenAI: GET /models; Slack: auth.test; Telegram: getMe; ...), once per
key, a few at a time, without retries. Each key is then live (with the owner the provider names),
revoked, or unknown (rate limited, timed out, network down, or a form no provider call takes:
webhook URLs, Vault tokens, OpenAI-compatible keys whose issuer the form does not tell).
<PROVIDER>_BASE_URL variables (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ...) send a provider's keys
to that address instead (a gateway, a simulator). Live keys are listed first.

Formats: table (the default), json (--json), jsonl (one finding a line), sarif (SARIF 2.1.0 for
code scanning; level error for live keys, warning for unknown, note for revoked).

Exit codes: 0 no key found; 1 a key found; 2 the scan could not run (usage, path, git);
3 with --verify, a key found that its provider accepts (live).

Examples:
  keycard scan
  keycard scan src config --json
  keycard scan --verify                 # which keys found still work
  keycard scan --format sarif > keycard.sarif
  keycard scan --install-hook      # a pre-commit hook that runs keycard scan --staged
  keycard scan --git
  keycard scan --write-baseline .keycard-baseline.json && keycard scan --baseline .keycard-baseline.json`,
    )
    .action(async (paths: string[], options: ScanOptions) => {
      if (options.installHook === true) {
        try {
          const path = await installPreCommitHook(process.cwd(), options.force === true);
          out(`Installed ${path}: every commit now runs keycard scan --staged.`);
        } catch (error) {
          if (error instanceof HookError) throw new CliError(`keycard scan: ${error.message}`, 2);
          throw error;
        }
        return;
      }
      if (
        options.json === true &&
        options.format !== undefined &&
        !['table', 'json'].includes(options.format)
      )
        throw new CliError(
          `keycard scan: --json is --format json; give one of them, not --format ${options.format} too.`,
          2,
        );
      const format: ScanFormat = options.json === true ? 'json' : (options.format ?? 'table');
      const timeoutMs = Number(options.verifyTimeout ?? VERIFY_DEFAULTS.timeoutMs);
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)
        throw new CliError('keycard scan: --verify-timeout takes a number of milliseconds.', 2);
      // The scanner keeps the keys it finds in memory only when they are to be verified.
      if (options.verify === true) holdKeys();
      let findings: Finding[];
      const stats = newScanStats();
      if (options.staged === true) findings = await scanStaged(stats).catch(gitError);
      else if (options.git === true) {
        const total = progressShown(format) ? await countCommits() : undefined;
        const bar = total !== undefined && total > 200 ? progressBar('commits') : undefined;
        bar?.start(total ?? 0, 0);
        findings = await scanHistory(stats, { progress: (done) => bar?.update(done) })
          .catch(gitError)
          .finally(() => bar?.stop());
      } else {
        let files: string[];
        try {
          // The workers of a long scan load while the files are listed.
          startScanWorkers();
          files = await listFiles(paths, stats);
        } catch (error) {
          throw new CliError(
            `keycard scan: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : 'cannot read'}: ${(error as { path?: string }).path ?? paths.join(' ')}`,
            2,
          );
        }
        const bar = progressShown(format) && files.length > 200 ? progressBar('files') : undefined;
        bar?.start(files.length, 0);
        findings = await scanFiles(files, stats, (done) => bar?.update(done));
        bar?.stop();
      }
      // Only the keys still found after the baseline are verified; none is kept past this.
      const held = takeHeldKeys();
      if (options.writeBaseline !== undefined) {
        const baseline: Baseline = {
          version: 1,
          findings: findings.map(({ file, line, provider, maskedId, fingerprint }) => ({
            file,
            line,
            provider,
            maskedId,
            fingerprint,
          })),
        };
        await writeFile(options.writeBaseline, `${JSON.stringify(baseline, null, 2)}\n`);
        out(`Wrote ${findings.length} finding(s) to ${options.writeBaseline}`);
        return;
      }
      if (options.baseline !== undefined) {
        const known = await readBaseline(options.baseline);
        findings = findings.filter((finding) => !known.has(finding.fingerprint));
      }
      let verifications: Awaited<ReturnType<typeof verifyKeys>> | undefined;
      if (options.verify === true) {
        const keys = new Map<string, { label: string; key: string }>();
        // Low-confidence matches (placeholders, self-declared fakes) are not sent anywhere.
        for (const finding of findings) {
          if (finding.confidence === 'low') continue;
          const key = held.get(finding.fingerprint);
          if (key !== undefined) keys.set(finding.fingerprint, { label: finding.provider, key });
        }
        held.clear();
        verifications = await verifyKeys(keys, {
          ...VERIFY_DEFAULTS,
          timeoutMs,
          onBaseUrl: (provider, variable, url) =>
            err(`keycard scan: ${provider} keys are verified at ${url} (${variable})`),
        });
      }
      const stored =
        findings.length > 0 ? await keystoreNames(options.keystore) : new Map<string, string[]>();
      const reports = buildReports(
        findings,
        (finding) => remediationFor(finding.provider, finding.fingerprint, stored, options.keystore),
        verifications,
      );
      process.exitCode = scanExitCode(reports);
      printReports(reports, format, summary(stats, options), version);
    });
}

/** `in 120 files (1.4 MiB); skipped 3 binary, 12 ignored (.gitignore, .git, node_modules)`. */
function summary(stats: ScanStats, options: ScanOptions): string {
  const what =
    options.git === true
      ? `in ${stats.files} commit(s) (${size(stats.bytes)} of history)`
      : `in ${stats.files} ${options.staged === true ? 'staged ' : ''}file(s) (${size(stats.bytes)})`;
  const skipped = [
    stats.binary > 0 ? `${stats.binary} binary` : '',
    stats.large > 0 ? `${stats.large} over 8 MiB` : '',
    stats.unreadable > 0 ? `${stats.unreadable} unreadable` : '',
    stats.ignored > 0 ? `${stats.ignored} ignored (.gitignore, .git, node_modules)` : '',
  ].filter((part) => part !== '');
  return skipped.length > 0 ? `${what}; skipped ${skipped.join(', ')}` : what;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A progress line on a terminal, for the table only (the other formats are read by programs). */
function progressShown(format: ScanFormat): boolean {
  return process.stderr.isTTY === true && format === 'table';
}

function progressBar(unit: 'files' | 'commits'): SingleBar {
  return new SingleBar({
    format: `scanning {bar} {value}/{total} ${unit}`,
    stream: process.stderr,
    clearOnComplete: true,
    hideCursor: true,
  });
}

function gitError(error: unknown): never {
  if (error instanceof GitError) throw new CliError(`keycard scan: git failed: ${error.message}`, 2);
  throw error;
}
