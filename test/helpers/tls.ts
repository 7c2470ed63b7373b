/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost, made at test time with the
 * `openssl` command (no certificate sits in the repository).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  /** The CA certificate, PEM. */
  ca: string;
  /** The server's private key, PEM. */
  key: string;
  /** The server's certificate, signed by the CA, PEM. */
  cert: string;
  /** The directory holding the files. */
  dir: string;
}

let made: Promise<TestCertificates> | undefined;

async function make(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'keycard-tls-'));
  const path = (name: string) => join(dir, name);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=keycard test CA',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
  ]);
  await writeFile(path('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    path('ext.cnf'),
    '-out',
    path('server.pem'),
  ]);
  const [ca, key, cert] = await Promise.all(
    ['ca.pem', 'server.key', 'server.pem'].map((name) => readFile(path(name), 'utf8')),
  );
  return { ca: ca as string, key: key as string, cert: cert as string, dir };
}

/** The certificates, made once per process. */
export function makeTestCertificates(): Promise<TestCertificates> {
  made ??= make();
  return made;
}
