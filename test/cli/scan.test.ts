/**
 * `keycard scan`: files (with .gitignore, binaries, node_modules, allow comments, a baseline),
 * staged changes and git history, in a temporary repository. Keys are built at run time.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLEAR_KEY, keycard } from '../helpers/cli.js';
import { testKey } from '../helpers/keys.js';

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
    const { code, stdout } = await keycard(['scan', clean]);
    expect(code).toBe(0);
    expect(stdout).toContain('No keys found.');
  });

  it('takes a baseline of deliberate keys', async () => {
    const baseline = join(repo, '.keycard-baseline.json');
    expect((await keycard(['scan', '--write-baseline', baseline], { cwd: repo })).code).toBe(0);
    const again = await keycard(['scan', '--baseline', baseline], { cwd: repo });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No keys found.');
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
    expect(stdout).toContain('No keys found.');
    expect(code).toBe(0);
  }, 120_000);

  it('exits 2 for a path that does not exist', async () => {
    const { code, stderr } = await keycard(['scan', '/nonexistent/keycard']);
    expect(code).toBe(2);
    expect(stderr).toContain('no such file or directory');
  });
});
