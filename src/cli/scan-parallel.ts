/**
 * `keycard scan` of many files on every core: the file list is cut into chunks that the main
 * thread and worker threads take in turn from a shared counter, so that a slow chunk never holds
 * the others up. Each chunk's findings come back on their own, and are put together in the
 * list's order: the output is the same as a scan on one thread. A chunk a worker did not report
 * (it failed to start, or died) is scanned by the main thread at the end.
 * @module
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Finding, ScanStats } from './scan.js';
import { addHeldKeys, holdingKeys } from './scan-held-keys.js';

/** What a worker is given (its one message). */
export interface ScanWorkerData {
  files: readonly string[];
  chunk: number;
  /** [next chunk to take, files done]: shared by every thread. */
  counters: Int32Array;
  cwd: string;
  /** Whether the scan keeps the keys it finds (for `--verify`). */
  holdKeys: boolean;
}

/** What a worker reports for each chunk it scanned. */
export interface ScanChunkResult {
  chunk: number;
  findings: Finding[];
  stats: Omit<ScanStats, 'ignored'>;
  /** The keys found, by fingerprint, when the scan keeps them. */
  held: Array<[string, string]>;
}

/** Files a chunk holds: small enough to share the work evenly, large enough to cost no messages. */
export const CHUNK_FILES = 128;
/** Fewer files than this are scanned on one thread: a worker costs about 50 ms to start. */
const MIN_FILES = 2000;

let workerUrl: URL | undefined;

/** Where the worker's module is (the built command sets it; without it, one thread). */
export function setScanWorker(url: URL): void {
  workerUrl = url;
}

/** Workers started before the file list is known (see {@link startScanWorkers}). */
let early: Worker[] = [];

/**
 * Starts the workers a long scan would use, so that they load their modules while this thread
 * lists the files. Those a scan does not use are stopped by it (few files) or at exit: they keep
 * nothing alive until they are given work.
 */
export function startScanWorkers(): void {
  if (workerUrl === undefined || early.length > 0) return;
  const url = workerUrl;
  early = Array.from({ length: scanThreads(Number.POSITIVE_INFINITY) - 1 }, () => {
    const worker = new Worker(url);
    worker.on('error', () => undefined);
    worker.unref();
    return worker;
  });
}

function takeWorkers(count: number, url: URL): Worker[] {
  const taken = early.splice(0, count);
  for (const worker of early) void worker.terminate();
  early = [];
  while (taken.length < count) taken.push(new Worker(url));
  return taken;
}

/** Threads for `files` files: `KEYCARD_SCAN_THREADS`, else one per core; 1 for few files. */
export function scanThreads(files: number): number {
  if (workerUrl === undefined || files < MIN_FILES) {
    // Workers started early for a scan that turns out short are not needed.
    for (const worker of early.splice(0)) void worker.terminate();
    return 1;
  }
  const configured = Number(process.env['KEYCARD_SCAN_THREADS']);
  const threads = Number.isSafeInteger(configured) && configured >= 1 ? configured : availableParallelism();
  return Math.max(1, Math.min(threads, 8));
}

/** The scanner of one chunk, on this thread. */
export type ScanChunk = (start: number, end: number, stats: ScanStats) => Finding[];

/**
 * Scans `files` on `threads` threads (this one included); `scanChunk` scans a range of them here.
 * `progress` hears the number of files done, now and then.
 */
export async function scanInParallel(
  files: readonly string[],
  threads: number,
  stats: ScanStats,
  scanChunk: ScanChunk,
  progress?: (done: number) => void,
): Promise<Finding[]> {
  const url = workerUrl;
  const chunks = Math.ceil(files.length / CHUNK_FILES);
  const results: Array<Finding[] | undefined> = new Array(chunks);
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const data: ScanWorkerData = {
    files,
    chunk: CHUNK_FILES,
    counters,
    cwd: process.cwd(),
    holdKeys: holdingKeys(),
  };
  const take = (result: ScanChunkResult) => {
    results[result.chunk] = result.findings;
    stats.files += result.stats.files;
    stats.bytes += result.stats.bytes;
    stats.binary += result.stats.binary;
    stats.large += result.stats.large;
    stats.unreadable += result.stats.unreadable;
    addHeldKeys(result.held);
  };
  const workers =
    url === undefined
      ? []
      : takeWorkers(threads - 1, url).map((worker) => {
          worker.ref();
          worker.postMessage(data);
          const done = new Promise<void>((resolve) => {
            worker.on('message', take);
            // A worker that fails leaves its chunks unreported: this thread scans them below.
            worker.on('error', () => resolve());
            worker.on('exit', () => resolve());
          });
          return { worker, done };
        });
  const scanHere = (chunk: number) => {
    const start = chunk * CHUNK_FILES;
    results[chunk] = scanChunk(start, Math.min(files.length, start + CHUNK_FILES), stats);
    Atomics.add(counters, 1, Math.min(files.length, start + CHUNK_FILES) - start);
  };
  for (let chunk = Atomics.add(counters, 0, 1); chunk < chunks; chunk = Atomics.add(counters, 0, 1)) {
    scanHere(chunk);
    progress?.(Atomics.load(counters, 1));
  }
  // The workers' last chunks; a progress line meanwhile.
  const ticker = setInterval(() => progress?.(Atomics.load(counters, 1)), 200);
  await Promise.all(workers.map(({ done }) => done));
  clearInterval(ticker);
  for (let chunk = 0; chunk < chunks; chunk += 1) if (results[chunk] === undefined) scanHere(chunk);
  progress?.(files.length);
  const findings: Finding[] = [];
  for (const chunk of results) if (chunk !== undefined) for (const finding of chunk) findings.push(finding);
  return findings;
}
