/**
 * `keycard mask`: standard input to standard output, redacted, as a stream.
 * @module
 */
import { fstatSync, read, writev } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { isatty } from 'node:tty';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { PROVIDERS } from '../../providers/ids.js';
import { prepareRedaction } from '../../redact/redactor.js';
import { createLineRedactor, createRedactStream } from '../../redact/stream.js';
import { Secret } from '../../secret.js';

const readAsync = promisify(read);
const writevAsync = promisify(writev);

/** Bytes read at once from a file on standard input. */
const PIECE = 1024 * 1024;

/** Writes `pieces` to standard output, in order: to a file or a device directly, else through the stream. */
async function writeOut(pieces: readonly Buffer[], direct: boolean): Promise<void> {
  if (!direct) {
    for (const piece of pieces) {
      await new Promise<void>((resolve, reject) => {
        process.stdout.write(piece, (error) => (error ? reject(error) : resolve()));
      });
    }
    return;
  }
  let rest = pieces.filter((piece) => piece.length > 0);
  while (rest.length > 0) {
    // One call for all the pieces; after a partial write, go on from where it stopped.
    let written = (await writevAsync(1, rest)).bytesWritten;
    while (rest[0] !== undefined && written >= rest[0].length) {
      written -= rest[0].length;
      rest = rest.slice(1);
    }
    if (rest[0] !== undefined && written > 0) rest = [rest[0].subarray(written), ...rest.slice(1)];
  }
}

/**
 * A file on standard input: read a piece at a time while the piece before is redacted and the one
 * before that written (reads and writes run on libuv's threads, beside the redaction), into three
 * buffers used in turn; a buffer is read into again only once what came from it is written.
 */
async function maskFile(direct: boolean): Promise<void> {
  const buffers = [Buffer.allocUnsafe(PIECE), Buffer.allocUnsafe(PIECE), Buffer.allocUnsafe(PIECE)];
  const written: Array<Promise<void>> = buffers.map(() => Promise.resolve());
  const lines = createLineRedactor();
  let writes: Promise<void> = Promise.resolve();
  const output = (pieces: Buffer[]) => {
    writes = writes.then(() => writeOut(pieces, direct));
    // Waited on below, before the buffer is reused; a failure surfaces at the final wait too.
    return writes.catch(() => undefined);
  };
  let turn = 0;
  let count = (await readAsync(0, buffers[0] as Buffer, 0, PIECE, null)).bytesRead;
  while (count > 0) {
    const buffer = buffers[turn % 3] as Buffer;
    const next = buffers[(turn + 1) % 3] as Buffer;
    await written[(turn + 1) % 3];
    const reading = readAsync(0, next, 0, PIECE, null);
    written[turn % 3] = output(lines.write(buffer.subarray(0, count)));
    count = (await reading).bytesRead;
    turn += 1;
  }
  output(lines.end());
  await writes;
}

/** Variables whose values are registered as secrets before masking, unless --no-env. */
function secretVariables(): string[] {
  const names = new Set<string>();
  for (const provider of Object.values(PROVIDERS)) for (const name of provider.envVars) names.add(name);
  for (const name of ['VAULT_TOKEN', 'BAO_TOKEN', 'VAULT_SECRET_ID', 'KEYCARD_PASSPHRASE']) names.add(name);
  return [...names];
}

export function registerMask(program: Command): void {
  program
    .command('mask')
    .description('copy standard input to standard output with every key replaced by a masked label')
    .option('--no-env', "do not also mask the values of this shell's key variables (OPENAI_API_KEY, …)")
    .addHelpText(
      'after',
      `
Finds every key shape keycard knows (OpenAI, Anthropic, Gemini, xAI, Slack, Telegram, Discord,
Vault, credentials after Authorization:), Mistral keys after MISTRAL_API_KEY= (they have no
shape of their own), and the values of the key variables set in this shell.
Lines are written as soon as they are complete.

Example:
  node app.js 2>&1 | keycard mask
  keycard mask < app.log > app.masked.log`,
    )
    .action(async (options: { env: boolean }) => {
      if (options.env) {
        for (const name of secretVariables()) {
          const value = process.env[name]?.trim();
          if (value !== undefined && value.length >= 8) new Secret(value, { source: `env:${name}` });
        }
      }
      prepareRedaction();
      if (fstatSync(0).isFile()) {
        // A file: read in large pieces, written straight to a file or a device (`> out`,
        // `> /dev/null`), through the stream to a pipe or a terminal.
        const out = fstatSync(1);
        await maskFile(out.isFile() || (out.isCharacterDevice() && !isatty(1)));
      } else {
        // A pipe or a terminal: each line as soon as it is complete.
        await pipeline(process.stdin, createRedactStream(), process.stdout);
      }
    });
}
