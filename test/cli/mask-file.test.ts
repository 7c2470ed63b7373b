/**
 * `keycard mask < file`: a file on standard input is read in 1 MiB pieces into buffers used in
 * turn, written straight to a file or through the stream to a pipe. The output is what the
 * redactor gives in process, keys across the pieces' edges included.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactText } from '../../src/redact/redactor.js';
import { generateCorpus } from '../helpers/corpus.js';
import { testKey } from '../helpers/keys.js';

const cli = join(import.meta.dirname, '../../dist/cli/main.js');

let dir: string;
let input: string;
let text: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keycard-mask-file-'));
  input = join(dir, 'in.log');
  // About 5 MiB: more pieces than buffers. A key across each 1 MiB edge, a long line without a
  // newline at the end.
  let corpus = generateCorpus({ seed: 12, bytes: 5 * 1024 * 1024, perShape: 2 }).text;
  for (let edge = 1; edge <= 4; edge += 1) {
    const key = testKey('anthropic', `edge-${edge}`);
    const at = edge * 1024 * 1024 - 40;
    corpus = `${corpus.slice(0, at)}\nkey ${key} é\n${corpus.slice(at)}`;
  }
  text = `${corpus}no newline: ${testKey('gemini', 'tail')} ${'x'.repeat(70_000)}`;
  await writeFile(input, text);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `keycard mask < input`, standard output to a file, or to a pipe whose bytes are returned. */
async function mask(toFile: boolean): Promise<string> {
  const stdin = await open(input, 'r');
  const outPath = join(dir, 'out.log');
  const stdout = toFile ? await open(outPath, 'w') : undefined;
  try {
    const child = spawn(process.execPath, [cli, 'mask', '--no-env'], {
      stdio: [stdin.fd, stdout?.fd ?? 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    return toFile ? await readFile(outPath, 'utf8') : Buffer.concat(chunks).toString('utf8');
  } finally {
    await stdin.close();
    await stdout?.close();
  }
}

describe('keycard mask < file', () => {
  it('writes to a file what the redactor gives in process', async () => {
    expect(await mask(true)).toBe(redactText(text));
  });

  it('writes to a pipe what the redactor gives in process', async () => {
    expect(await mask(false)).toBe(redactText(text));
  });
});
