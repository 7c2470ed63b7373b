/**
 * `keycard scan [PATHS…]`: finds keys in files (honouring .gitignore, skipping binaries and
 * node_modules), in staged changes (`--staged`, for a pre-commit hook) or in git history
 * (`--git`); prints where and which key (masked), never the key. Exit 1 when a key is found.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CliError, colors, json, out } from '../output.js';
import {
  type Finding,
  GitError,
  listFiles,
  newScanStats,
  type ScanStats,
  scanFile,
  scanHistory,
  scanStaged,
} from '../scan.js';
import { HookError, installPreCommitHook } from '../scan-hook.js';

interface ScanOptions {
  staged?: boolean;
  git?: boolean;
  installHook?: boolean;
  force?: boolean;
  json?: boolean;
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
  program
    .command('scan')
    .argument('[paths...]', 'files and directories to scan', ['.'])
    .description('find keys in files, staged changes or git history; exit 1 when one is found')
    .option('--staged', 'scan the staged version of staged files (for a pre-commit hook)')
    .option('--git', 'scan every line ever added in the git history')
    .option('--json', 'print JSON')
    .option('--baseline <file>', 'ignore the keys listed in this baseline file (deliberate fixtures)')
    .option('--write-baseline <file>', 'write the keys found now to a baseline file, and exit 0')
    .option('--install-hook', 'write a git pre-commit hook (mode 0755) that runs keycard scan --staged')
    .option('--force', 'with --install-hook: replace an existing pre-commit hook')
    .addHelpText(
      'after',
      `
Prints file:line, provider and masked id; never the key. Lines holding "keycard:allow" are
skipped. .gitignore files are honoured; binaries, .git and node_modules are skipped.

Examples:
  keycard scan
  keycard scan src config --json
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
      let findings: Finding[];
      const stats = newScanStats();
      if (options.staged === true) findings = await scanStaged(stats).catch(gitError);
      else if (options.git === true) findings = await scanHistory(stats).catch(gitError);
      else {
        let files: string[];
        try {
          files = await listFiles(paths, stats);
        } catch (error) {
          throw new CliError(
            `keycard scan: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : 'cannot read'}: ${(error as { path?: string }).path ?? paths.join(' ')}`,
            2,
          );
        }
        const bar =
          process.stderr.isTTY && files.length > 200 && options.json !== true
            ? new SingleBar({
                format: 'scanning {bar} {value}/{total} files',
                stream: process.stderr,
                clearOnComplete: true,
                hideCursor: true,
              })
            : undefined;
        bar?.start(files.length, 0);
        findings = [];
        for (const file of files) {
          findings.push(...(await scanFile(file, stats)));
          bar?.increment();
        }
        bar?.stop();
      }
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
      // Low-confidence matches (placeholders, self-declared fakes) are listed apart and do not fail.
      const low = findings.filter((finding) => finding.confidence === 'low');
      findings = findings.filter((finding) => finding.confidence !== 'low');
      if (findings.length > 0) process.exitCode = 1;
      if (options.json === true) {
        json([...findings, ...low]);
        return;
      }
      for (const finding of findings) {
        const where =
          finding.commit === undefined
            ? `${finding.file}:${finding.line}`
            : `${finding.commit}:${finding.file}:${finding.line}`;
        out(
          `${colors.bold(where)}  ${colors.red(finding.provider)}  ${finding.maskedId}  ${colors.dim(finding.fingerprint)}`,
        );
      }
      if (low.length > 0) {
        out(
          colors.dim(
            `${low.length} low-confidence match(es), not counted (placeholders, fixtures, shapes without context):`,
          ),
        );
        for (const finding of low) {
          out(
            colors.dim(
              `  ${finding.commit === undefined ? '' : `${finding.commit}:`}${finding.file}:${finding.line}  ${finding.provider}  ${finding.maskedId}  ${finding.reason ?? ''}`,
            ),
          );
        }
      }
      out(
        findings.length === 0
          ? colors.green(`No keys found ${summary(stats, options)}.`)
          : colors.red(
              `${findings.length} key(s) found ${summary(stats, options)}. Revoke each at its provider, remove it, and keep keys in env, files outside the repository, Vault or the keystore.`,
            ),
      );
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

function gitError(error: unknown): never {
  if (error instanceof GitError) throw new CliError(`keycard scan: git failed: ${error.message}`, 2);
  throw error;
}
