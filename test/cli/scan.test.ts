/**
 * `keycard scan`: files (with .gitignore, binaries, node_modules, allow comments, a baseline),
 * staged changes and git history, in a temporary repository. Keys are built at run time.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLEAR_KEY, CLI, keycard } from '../helpers/cli.js';
import { randomString, seededRandom, testKey } from '../helpers/keys.js';

const git = (cwd: string, ...args: string[]) =>
  promisify(execFile)('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd });

const openai = testKey('openai', 'scan');
const slack = testKey('slack', 'scan');
const telegram = testKey('telegram', 'scan');
const ignoredKey = testKey('xai', 'scan-ignored');
const allowedKey = testKey('gemini', 'scan-allowed');
let repo: string;

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'keycard-scan-'));
  await mkdir(join(repo, 'src'), { recursive: true });
  await mkdir(join(repo, 'node_modules', 'pkg'), { recursive: true });
  await mkdir(join(repo, 'build'), { recursive: true });
  await writeFile(join(repo, 'src', 'config.ts'), `export const client = 'ok';\nconst key = '${openai}';\n`);
  await writeFile(join(repo, '.env'), `SLACK_BOT_TOKEN=${slack}\n`);
  await writeFile(join(repo, 'src', 'notify.sh'), `curl https://api.telegram.org/bot${telegram}/getMe\n`);
  await writeFile(
    join(repo, 'src', 'fixture.ts'),
    `const sample = '${allowedKey}'; // keycard:allow test fixture\n`,
  );
  await writeFile(join(repo, '.gitignore'), 'build/\n*.log\n');
  await writeFile(join(repo, 'build', 'out.js'), `var k = "${ignoredKey}";\n`);
  await writeFile(join(repo, 'debug.log'), `${ignoredKey}\n`);
  await writeFile(join(repo, 'node_modules', 'pkg', 'index.js'), `module.exports = "${ignoredKey}";\n`);
  await writeFile(
    join(repo, 'image.bin'),
    Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(ignoredKey)]),
  );
  await git(repo, 'init', '-q');
});

describe('keycard scan', () => {
  it('finds keys in files, with file:line, provider and masked id, never the key; exit 1', async () => {
    const { code, stdout } = await keycard(['scan'], { cwd: repo });
    expect(code).toBe(1);
    expect(stdout).toContain(`src/config.ts:2  openai  sk-proj-****${openai.slice(-4)}`);
    expect(stdout).toContain('.env:1  slack  xoxb-****');
    expect(stdout).toMatch(/src\/notify\.sh:1 {2}telegram {2}\d+:\*\*\*\*/);
    expect(stdout).toContain('3 key(s) found');
    expect(stdout).not.toMatch(CLEAR_KEY);
  });

  it('honours .gitignore, skips binaries and node_modules, and lines marked keycard:allow', async () => {
    const { stdout } = await keycard(['scan', '--json'], { cwd: repo });
    const findings = JSON.parse(stdout) as Array<{ file: string; provider: string; fingerprint: string }>;
    expect(findings.map((finding) => finding.file).sort()).toEqual([
      '.env',
      'src/config.ts',
      'src/notify.sh',
    ]);
    expect(findings.every((finding) => /^[0-9a-f]{12}$/.test(finding.fingerprint))).toBe(true);
  });

  it('scans given paths only, and exits 0 when nothing is found', async () => {
    const clean = await mkdtemp(join(tmpdir(), 'keycard-scan-clean-'));
    await writeFile(
      join(clean, 'readme.md'),
      'Set OPENAI_API_KEY=your-api-key-here and xoxb-your-bot-token.\n',
    );
    await writeFile(join(clean, 'blob.bin'), Buffer.from([0, 1, 2, 3]));
    const { code, stdout } = await keycard(['scan', clean]);
    expect(code).toBe(0);
    // How much was read and what was left out, not only that nothing was found.
    expect(stdout).toContain('No keys found in 1 file(s) (62 B); skipped 1 binary.');
  });

  it('takes a baseline of deliberate keys', async () => {
    const baseline = join(repo, '.keycard-baseline.json');
    expect((await keycard(['scan', '--write-baseline', baseline], { cwd: repo })).code).toBe(0);
    const again = await keycard(['scan', '--baseline', baseline], { cwd: repo });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /No keys found in \d+ file\(s\) \([\d.]+ \w+\); skipped 1 binary, \d+ ignored/,
    );
  });

  it('scans staged changes for a pre-commit hook, and the git history', async () => {
    await git(repo, 'add', 'src/config.ts');
    const staged = await keycard(['scan', '--staged', '--json'], { cwd: repo });
    expect(staged.code).toBe(1);
    expect((JSON.parse(staged.stdout) as Array<{ file: string }>).map((finding) => finding.file)).toEqual([
      'src/config.ts',
    ]);
    await git(repo, 'commit', '-q', '-m', 'add config');
    await writeFile(join(repo, 'src', 'config.ts'), "export const client = 'ok';\n");
    await git(repo, 'commit', '-q', '-am', 'remove the key');
    const history = await keycard(['scan', '--git'], { cwd: repo });
    expect(history.code).toBe(1);
    expect(history.stdout).toMatch(/[0-9a-f]{12}:src\/config\.ts:2 {2}openai/);
    expect(history.stdout).not.toMatch(CLEAR_KEY);
  });

  it('finds no key in this repository: test keys are built at run time', async () => {
    const root = join(import.meta.dirname, '../..');
    const { code, stdout } = await keycard(['scan', root], { cwd: root, timeoutMs: 120_000 });
    expect(stdout).toContain('No keys found in ');
    expect(code).toBe(0);
  }, 120_000);

  it("reports no key in code: keycard's own built files and the SDKs it wraps", async () => {
    // Method calls such as `s.enumerateUnauthenticated`, `r.resolvedUsingTsExtension` and header
    // names followed by code (`api_key: _nullishCoalesce(…)`) used to be reported as keys.
    const root = join(import.meta.dirname, '../..');
    const paths = [
      'dist',
      'node_modules/openai',
      'node_modules/@anthropic-ai/sdk',
      'node_modules/typescript/lib',
    ];
    const { code, stdout } = await keycard(['scan', '--json', ...paths], { cwd: root, timeoutMs: 120_000 });
    expect(JSON.parse(stdout)).toEqual([]);
    expect(code).toBe(0);
  }, 120_000);

  it('tells a legacy Vault token from a method name, and a credential header from code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keycard-scan-code-'));
    // A legacy Vault token: `s.` and 24 random letters and digits (one digit at least).
    const vault = ['s', `${randomString(seededRandom(13), 23)}7`].join('.');
    await writeFile(
      join(dir, 'code.js'),
      [
        'if (s.enumerateUnauthenticated(x)) r.resolvedUsingTsExtension = true;',
        'exports.assertProviderOwnsAuthorization = assertProviderOwnsAuthorization;',
        'const body = { redacted_api_key: _nullishCoalesce(context.key, () => null) };',
        `const token = '${vault}';`,
        '',
      ].join('\n'),
    );
    const { code, stdout } = await keycard(['scan', '--json', dir]);
    const findings = JSON.parse(stdout) as Array<{ line: number; provider: string }>;
    expect(findings.map(({ line, provider }) => `${line} ${provider}`)).toEqual(['4 vault']);
    expect(code).toBe(1);
  });

  it("--git: prints git's own error in one line and exits 2 outside a repository, or without git", async () => {
    const outside = await mkdtemp(join(tmpdir(), 'keycard-scan-nogit-'));
    const { code, stderr } = await keycard(['scan', '--git'], {
      cwd: outside,
      env: { GIT_CEILING_DIRECTORIES: tmpdir() },
    });
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(/^keycard scan: git failed: fatal: not a git repository/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    const missing = await keycard(['scan', '--git'], { cwd: repo, env: { PATH: '/nonexistent' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('git failed: git is not installed or not on PATH');
  });

  it('--install-hook writes an executable pre-commit hook that refuses a key and lets a clean commit through', async () => {
    const project = await mkdtemp(join(tmpdir(), 'keycard-scan-hook-'));
    await git(project, 'init', '-q');
    // keycard as a project installs it: node_modules/.bin/keycard (the hook looks there first).
    await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
    const bin = join(project, 'node_modules', '.bin', 'keycard');
    await writeFile(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    await chmod(bin, 0o755);
    await writeFile(join(project, '.gitignore'), 'node_modules/\n');

    const installed = await keycard(['scan', '--install-hook'], { cwd: project });
    expect(installed.code).toBe(0);
    const hook = join(project, '.git', 'hooks', 'pre-commit');
    expect((await stat(hook)).mode & 0o777).toBe(0o755);
    expect(await readFile(hook, 'utf8')).toContain('keycard scan --staged');

    const key = testKey('anthropic', 'hook');
    await writeFile(join(project, 'config.ts'), `export const key = '${key}';\n`);
    await git(project, 'add', 'config.ts', '.gitignore');
    const refused = await git(project, 'commit', '-q', '-m', 'leak').catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect((refused as { code?: number }).code).toBe(1);
    // git sends a hook's output to its standard error.
    const said = `${(refused as { stdout: string }).stdout}${(refused as { stderr: string }).stderr}`;
    expect(said).toContain('config.ts:1  anthropic');
    expect(said).not.toContain(key);
    await expect(git(project, 'log', '--oneline')).rejects.toThrow(); // nothing was committed

    await writeFile(join(project, 'config.ts'), 'export const key = process.env.ANTHROPIC_API_KEY;\n');
    await git(project, 'add', 'config.ts');
    await git(project, 'commit', '-q', '-m', 'clean');
    expect((await git(project, 'log', '--oneline')).stdout).toContain('clean');

    // keycard's own hook is installed again freely (another hook is kept: scan-hook.test.ts).
    expect((await keycard(['scan', '--install-hook'], { cwd: project })).code).toBe(0);
  }, 60_000);

  it('exits 2 for a path that does not exist', async () => {
    const { code, stderr } = await keycard(['scan', '/nonexistent/keycard']);
    expect(code).toBe(2);
    expect(stderr).toContain('no such file or directory');
  });
});
