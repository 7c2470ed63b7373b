/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost, made at test time with the
 * `openssl` command into a fresh temporary directory: no key or certificate sits in the repository.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM texts, and the directory that holds them as files. */
export interface TestCertificates {
  /** The CA's certificate, PEM: what a client trusts (`ca.pem` in `dir`). */
  ca: string;
  /** The server's private key, PEM (`server.key` in `dir`). */
  key: string;
  /** The server's certificate, signed by the CA, for IP 127.0.0.1 and DNS localhost (`server.pem` in `dir`). */
  cert: string;
  /** The temporary directory holding the files. */
  dir: string;
}

/** P-256 keys: quick to make, and every TLS stack takes them. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(
      `openssl ${args[0]} failed: ${typeof stderr === 'string' ? stderr.trim() : String(error)}`,
    );
  }
}

async function make(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'keycard-tls-'));
  const file = (name: string) => join(dir, name);
  await openssl([
    'req',
    '-x509',
    ...NEW_KEY,
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=keycard test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  ]);
  await openssl([
    'req',
    '-new',
    ...NEW_KEY,
    '-subj',
    '/CN=localhost',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  await writeFile(
    file('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-sha256',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  ]);
  const [ca, key, cert] = await Promise.all([
    readFile(file('ca.pem'), 'utf8'),
    readFile(file('server.key'), 'utf8'),
    readFile(file('server.pem'), 'utf8'),
  ]);
  return { ca, key, cert, dir };
}

let made: Promise<TestCertificates> | undefined;

/** The certificates, made once per process (again after a failure). */
export async function makeTestCertificates(): Promise<TestCertificates> {
  made ??= make().catch((error: unknown) => {
    made = undefined;
    throw error;
  });
  return made;
}
