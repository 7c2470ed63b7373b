/**
 * Reading a secret: from a hidden prompt on a terminal (nothing echoed), or from standard input
 * when it is a pipe. Never from the command line, which stays in shell history and in `ps`.
 * @module
 */
import { CliError } from './output.js';

/** Reads one line from a terminal without echoing it. */
function hiddenLine(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    let value = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new CliError('Cancelled.', 130));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

/** All of standard input (a pipe), trimmed of the final newline. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The secret: prompted without echo on a terminal, else read from standard input. */
export async function readSecret(question: string): Promise<string> {
  const value = process.stdin.isTTY ? await hiddenLine(question) : await readStdin();
  if (value.trim() === '')
    throw new CliError('No value was given (type it at the prompt, or pipe it on standard input).', 2);
  return value;
}
