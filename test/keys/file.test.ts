import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialError, isCredentialError } from '../../src/errors.js';
import { file, MAX_KEY_FILE_BYTES } from '../../src/keys/file.js';
import { testKey } from '../helpers/keys.js';
import { credentialRejection } from '../helpers/rejections.js';

const posix = process.platform !== 'win32';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let dir = '';
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keycard-file-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `content` to a new file with mode 600 (or `mode`) and returns its path. */
async function keyFile(content: string | Buffer, mode = 0o600, name?: string): Promise<string> {
  counter += 1;
  const path = join(dir, name ?? `key-${counter}`);
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

/** No 8-character window of `secret` appears in the error. */
function expectNoLeak(error: CredentialError, secret: string): void {
  const text = `${error.message}\n${error.hint}\n${JSON.stringify(error)}`;
  for (let start = 0; start + 8 <= secret.length; start += 1) {
    expect(text).not.toContain(secret.slice(start, start + 8));
  }
}

describe('keys.file: raw files', () => {
  const key = testKey('openai', 'file-raw');

  it.each([
    ['the key alone', key],
    ['a trailing newline', `${key}\n`],
    ['CRLF', `${key}\r\n`],
    ['a BOM', `\uFEFF${key}\n`],
    ['quotes', `"${key}"\n`],
    ['comment lines', `# OpenAI key for the summariser\n\n${key}\n`],
    ['NAME=value', `OPENAI_API_KEY=${key}\n`],
    ['export NAME=value', `export OPENAI_API_KEY=${key}\n`],
    ['export NAME="value" # comment', `export OPENAI_API_KEY="${key}" # prod\n`],
    ["NAME='value' with a BOM and CRLF", `\uFEFFOPENAI_API_KEY='${key}'\r\n`],
  ])('reads %s', async (_name, content) => {
    const path = await keyFile(content);
    const secret = await file(path).resolve({ provider: 'openai' });
    expect(secret.reveal()).toBe(key);
    expect(secret.source).toBe(`file:${path}`);
    expect(secret.provider).toBe('openai');
  });

  it('reads UTF-16 files with a BOM, as Windows editors save them', async () => {
    const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${key}\r\n`, 'utf16le')]);
    expect((await file(await keyFile(little)).resolve()).reveal()).toBe(key);
    const big = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(`${key}\n`, 'utf16le').swap16()]);
    expect((await file(await keyFile(big)).resolve()).reveal()).toBe(key);
  });

  it('describes itself by path and field', () => {
    expect(file('./secrets/openai.key').describe()).toBe('file:./secrets/openai.key');
    expect(file('./.env', { field: 'OPENAI_API_KEY' }).describe()).toBe('file:./.env#OPENAI_API_KEY');
  });

  it('refuses a file of several lines, saying where the line break is', async () => {
    const path = await keyFile(`${key.slice(0, 60)}\n${key.slice(60)}\n`);
    const error = await credentialRejection(file(path).resolve({ provider: 'openai' }));
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('line break at character 61');
    expectNoLeak(error, key.slice(8));
  });

  it('asks for a field when the file holds several named values', async () => {
    const dotenv = await keyFile(`OPENAI_API_KEY=${key}\nSLACK_BOT_TOKEN=${testKey('slack', 'f')}\n`);
    const error = await credentialRejection(file(dotenv).resolve());
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('OPENAI_API_KEY, SLACK_BOT_TOKEN');
    expect(error.hint).toContain(`{ field: 'OPENAI_API_KEY' }`);
    expectNoLeak(error, key.slice(8));
    const json = await keyFile(JSON.stringify({ openai: key }));
    const jsonError = await credentialRejection(file(json).resolve());
    expect(jsonError.message).toContain('JSON file');
    expectNoLeak(jsonError, key.slice(8));
  });

  it('reports an empty file as missing', async () => {
    const error = await credentialRejection(file(await keyFile('\n\n')).resolve({ provider: 'telegram' }));
    expect(error.reason).toBe('missing');
    expect(error.hint).toContain('@BotFather');
  });

  it('refuses binary content without showing it', async () => {
    const error = await credentialRejection(
      file(await keyFile(Buffer.from([0x80, 0x81, 0xfe, 0x00, 0x41]))).resolve(),
    );
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('not valid UTF-8');
  });
});

describe('keys.file: fields', () => {
  const openai = testKey('openai', 'file-json');
  const anthropic = testKey('anthropic', 'file-json');

  it('reads a top-level JSON field, a dotted path, and a top-level key with a dot', async () => {
    const path = await keyFile(
      JSON.stringify(
        { api_key: openai, providers: { anthropic: { key: anthropic } }, 'a.b': openai },
        null,
        2,
      ),
    );
    expect((await file(path, { field: 'api_key' }).resolve()).reveal()).toBe(openai);
    expect((await file(path, { field: 'providers.anthropic.key' }).resolve()).reveal()).toBe(anthropic);
    expect((await file(path, { field: 'a.b' }).resolve()).reveal()).toBe(openai);
  });

  it('reports a missing JSON field as missing, listing field names only', async () => {
    const path = await keyFile(JSON.stringify({ api_key: openai, other: anthropic }));
    const error = await credentialRejection(
      file(path, { field: 'openai_key' }).resolve({ provider: 'openai' }),
    );
    expect(error.reason).toBe('missing');
    expect(error.source).toBe(`file:${path}#openai_key`);
    expect(error.message).toContain('no field "openai_key"');
    expect(error.hint).toContain('api_key, other');
    expectNoLeak(error, openai.slice(8));
    expectNoLeak(error, anthropic.slice(8));
    const deep = await credentialRejection(file(path, { field: 'api_key.inner' }).resolve());
    expect(deep.reason).toBe('missing');
  });

  it('refuses a JSON field that is not a string', async () => {
    const path = await keyFile(JSON.stringify({ n: 42, o: { key: openai } }));
    const number = await credentialRejection(file(path, { field: 'n' }).resolve());
    expect(number.reason).toBe('malformed');
    expect(number.message).toContain('a number');
    const object = await credentialRejection(file(path, { field: 'o' }).resolve());
    expect(object.hint).toContain("'o.key'");
    expectNoLeak(object, openai.slice(8));
  });

  it('never echoes the content of broken JSON', async () => {
    // V8's own message would quote the text around the error, the key included.
    const path = await keyFile(`{\n  "api_key": ${openai}\n}\n`);
    const error = await credentialRejection(file(path, { field: 'api_key' }).resolve());
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('not valid JSON');
    expect(error.cause).toBeUndefined();
    expectNoLeak(error, openai.slice(8));
  });

  it('reads dotenv files: export, quotes, comments, blank lines, last one wins', async () => {
    const slack = testKey('slack', 'dotenv');
    const path = await keyFile(
      [
        '# keycard test',
        '',
        `export OPENAI_API_KEY="${openai}"  # prod`,
        `ANTHROPIC_API_KEY='${anthropic}'`,
        `SLACK_BOT_TOKEN = ${slack} # inline comment`,
        'EMPTY=',
        `XAI_API_KEY=\`${testKey('xai', 'dotenv')}\``,
        `ANTHROPIC_API_KEY=${anthropic}`,
      ].join('\r\n'),
    );
    expect((await file(path, { field: 'OPENAI_API_KEY' }).resolve()).reveal()).toBe(openai);
    expect((await file(path, { field: 'ANTHROPIC_API_KEY' }).resolve()).reveal()).toBe(anthropic);
    expect((await file(path, { field: 'SLACK_BOT_TOKEN' }).resolve()).reveal()).toBe(slack);
    expect((await file(path, { field: 'XAI_API_KEY' }).resolve()).reveal()).toBe(testKey('xai', 'dotenv'));
    const empty = await credentialRejection(file(path, { field: 'EMPTY' }).resolve());
    expect(empty.reason).toBe('missing');
    const absent = await credentialRejection(
      file(path, { field: 'GEMINI_API_KEY' }).resolve({ provider: 'gemini' }),
    );
    expect(absent.reason).toBe('missing');
    expect(absent.message).toContain('no variable GEMINI_API_KEY');
    expect(absent.hint).toContain('OPENAI_API_KEY, ANTHROPIC_API_KEY, SLACK_BOT_TOKEN');
    expectNoLeak(absent, openai.slice(8));
  });

  it('never echoes the content of a broken dotenv file', async () => {
    const unclosed = await keyFile(`A=1\nOPENAI_API_KEY="${openai}\n`);
    const error = await credentialRejection(file(unclosed, { field: 'OPENAI_API_KEY' }).resolve());
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('line 2');
    expect(error.message).toContain('quote is not closed');
    expectNoLeak(error, openai.slice(8));
    const notDotenv = await keyFile(`A=1\n${openai}\n`);
    const second = await credentialRejection(file(notDotenv, { field: 'A' }).resolve());
    expect(second.message).toContain('line 2 is not a NAME=value line');
    expectNoLeak(second, openai.slice(8));
  });
});

describe('keys.file: unavailable and insecure files', () => {
  it('reports a missing file as source_unavailable, with the path and what to do', async () => {
    const path = join(dir, 'does-not-exist.key');
    const error = await credentialRejection(file(path).resolve({ provider: 'openai' }));
    expect(error.reason).toBe('source_unavailable');
    expect(error.source).toBe(`file:${path}`);
    expect(error.message).toContain(path);
    expect(error.hint).toContain('Create the file');
  });

  it('says a relative path is relative to the working directory', async () => {
    const error = await credentialRejection(file('./no-such-keycard-file.key').resolve());
    expect(error.message).toContain(process.cwd());
  });

  it('reports a directory as source_unavailable', async () => {
    const sub = join(dir, 'a-directory');
    await mkdir(sub, { recursive: true });
    const error = await credentialRejection(file(sub).resolve());
    expect(error.reason).toBe('source_unavailable');
    expect(error.message).toContain('is a directory');
  });

  it('reports a file over 64 KiB as source_unavailable, without reading it into the error', async () => {
    const key = testKey('openai', 'big');
    const path = await keyFile(`${key}\n${'#'.repeat(MAX_KEY_FILE_BYTES)}`);
    const error = await credentialRejection(file(path).resolve());
    expect(error.reason).toBe('source_unavailable');
    expect(error.message).toContain(`at most ${MAX_KEY_FILE_BYTES} bytes`);
    expectNoLeak(error, key.slice(8));
  });

  it.skipIf(!posix || isRoot)('reports an unreadable file as source_unavailable', async () => {
    const path = await keyFile(testKey('openai', 'unreadable'), 0o000);
    const error = await credentialRejection(file(path).resolve());
    expect(error.reason).toBe('source_unavailable');
    expect(error.message).toContain('permission denied');
  });

  it.skipIf(!posix).each([0o644, 0o640, 0o604, 0o620, 0o660])(
    'refuses a file with mode %o as insecure_source, unless allowInsecure',
    async (mode) => {
      const key = testKey('xai', `insecure-${mode}`);
      const path = await keyFile(key, mode);
      const error = await credentialRejection(file(path).resolve({ provider: 'xai' }));
      expect(error.reason).toBe('insecure_source');
      expect(error.source).toBe(`file:${path}`);
      expect(error.message).toContain(`mode 0${mode.toString(8)}`);
      expect(error.hint).toContain(`chmod 600 ${path}`);
      expect(error.hint).toContain('{ allowInsecure: true }');
      expectNoLeak(error, key.slice(4));
      expect((await file(path, { allowInsecure: true }).resolve()).reveal()).toBe(key);
    },
  );

  it.skipIf(!posix)('accepts modes 600 and 400', async () => {
    const key = testKey('telegram', 'modes');
    expect((await file(await keyFile(key, 0o600)).resolve()).reveal()).toBe(key);
    expect((await file(await keyFile(key, 0o400)).resolve()).reveal()).toBe(key);
  });

  it('quotes a path with spaces in the chmod hint', async () => {
    if (!posix) return;
    const path = await keyFile(testKey('xai', 'spaces'), 0o644, 'my key file');
    const error = await credentialRejection(file(path).resolve());
    expect(error.hint).toContain(`chmod 600 '${path}'`);
  });

  it('refuses a key passed as the path, without showing it', () => {
    const key = testKey('anthropic', 'as-path');
    let thrown: unknown;
    try {
      file(key);
    } catch (error) {
      thrown = error;
    }
    expect(isCredentialError(thrown)).toBe(true);
    expect((thrown as CredentialError).reason).toBe('malformed');
    expect((thrown as CredentialError).message).not.toContain(key.slice(13, 40));
  });
});

describe('keys.file: rotation and caching', () => {
  it('returns the same Secret while the file is unchanged, a new one after it is rewritten', async () => {
    const path = await keyFile(testKey('openai', 'rotate-1'));
    const source = file(path);
    const first = await source.resolve({ provider: 'openai' });
    expect(await source.resolve({ provider: 'openai' })).toBe(first);
    expect(await source.resolve({ provider: 'openai', fresh: true })).toBe(first);
    await writeFile(path, `${testKey('openai', 'rotate-2')}\n`);
    const second = await source.resolve({ provider: 'openai' });
    expect(second).not.toBe(first);
    expect(second.reveal()).toBe(testKey('openai', 'rotate-2'));
    expect(second.fingerprint).not.toBe(first.fingerprint);
  });

  it('checks the mode again on every resolve, with fresh too', async () => {
    if (!posix) return;
    const path = await keyFile(testKey('openai', 'remode'));
    const source = file(path);
    await source.resolve();
    await chmod(path, 0o644);
    expect((await credentialRejection(source.resolve({ fresh: true }))).reason).toBe('insecure_source');
  });
});
