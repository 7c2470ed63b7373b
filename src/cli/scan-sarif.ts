/**
 * `keycard scan --format sarif`: a SARIF 2.1.0 log for code scanning (GitHub, GitLab, Azure
 * DevOps). One rule per kind of key, one result per finding with its location, masked id and
 * fingerprint (never the key), the remediation, and with `--verify` the verification's status in
 * `properties` and in `level` (live: error, unknown: warning, revoked: note).
 * @module
 */
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withArticle } from '../keys/shapes.js';
import { isProviderId, PROVIDERS } from '../providers/ids.js';
import type { ScanReport } from './scan-format.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://www.npmjs.com/package/keycard';

/** A relative path as a URI reference: each segment percent-encoded, `/` between them. */
function uriOf(file: string): string {
  return file
    .split(/[\\/]/)
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** `OpenAI`, `Slack`, …: the provider's name for a provider label, else the label. */
function nameOf(label: string): string {
  if (isProviderId(label)) return PROVIDERS[label].label;
  return label === 'openai-compatible' ? 'OpenAI-compatible' : label === 'vault' ? 'Vault' : label;
}

function ruleIdOf(report: ScanReport): string {
  return `keycard/${report.rule}`;
}

function levelOf(report: ScanReport): 'error' | 'warning' | 'note' {
  if (report.confidence === 'low') return 'note';
  switch (report.verification?.status) {
    case 'revoked':
      return 'note';
    case 'unknown':
      return 'warning';
    default:
      return 'error';
  }
}

function messageOf(report: ScanReport): string {
  const status =
    report.verification === undefined
      ? ''
      : report.verification.status === 'live'
        ? ' It is live (verified with its provider).'
        : report.verification.status === 'revoked'
          ? ' Its provider rejects it (revoked).'
          : ` Whether it is live is unknown (${report.verification.reason ?? 'not verified'}).`;
  const rotate = report.remediation.rotate === undefined ? '' : ` Then run: ${report.remediation.rotate}.`;
  return `${capital(withArticle(nameOf(report.provider)))} key (${report.maskedId}, fingerprint ${report.fingerprint}) is in this file.${status} Revoke it at ${report.remediation.revokeAt}, remove it, and load it from the environment, a file outside the repository, Vault or the keystore.${rotate}`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The SARIF log of `reports`. */
export function sarifLog(reports: readonly ScanReport[], version: string): Record<string, unknown> {
  const ruleIds = [...new Set(reports.map(ruleIdOf))].sort();
  const rules = ruleIds.map((id) => {
    const provider = reports.find((report) => ruleIdOf(report) === id)?.provider ?? 'key';
    return {
      id,
      name: `KeyIn${id
        .slice('keycard/'.length)
        .split(/[^A-Za-z0-9]+/)
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join('')}`,
      shortDescription: { text: `${capital(withArticle(nameOf(provider)))} key in the code` },
      fullDescription: {
        text: `${capital(withArticle(nameOf(provider)))} key was found in a file or in the git history. Anyone who can read the repository can use it.`,
      },
      helpUri: INFORMATION_URI,
      help: {
        text: 'Revoke the key at its provider, remove it from the code (and the history), and load keys from the environment, a file outside the repository, Vault or the keystore.',
      },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['security', 'secret'], provider },
    };
  });
  const results = reports.map((report) => {
    const verification = report.verification;
    return {
      ruleId: ruleIdOf(report),
      ruleIndex: ruleIds.indexOf(ruleIdOf(report)),
      level: levelOf(report),
      message: { text: messageOf(report) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uriOf(report.file), uriBaseId: '%SRCROOT%' },
            region: { startLine: Math.max(1, report.line) },
          },
        },
      ],
      partialFingerprints: { 'keycardKeyFingerprint/v1': report.fingerprint },
      properties: {
        provider: report.provider,
        maskedId: report.maskedId,
        confidence: report.confidence,
        ...(report.reason === undefined ? {} : { lowConfidenceReason: report.reason }),
        fingerprint: report.fingerprint,
        revokeAt: report.remediation.revokeAt,
        ...(report.remediation.rotate === undefined ? {} : { rotate: report.remediation.rotate }),
        ...(report.commit === undefined ? {} : { commit: report.commit }),
        ...(verification === undefined
          ? {}
          : {
              verification: verification.status,
              ...(verification.identity === undefined ? {} : { identity: verification.identity }),
              ...(verification.reason === undefined ? {} : { verificationReason: verification.reason }),
            }),
      },
    };
  });
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'keycard',
            semanticVersion: version,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${process.cwd()}${sep}`).href } },
        results,
      },
    ],
  };
}
