/**
 * A worker thread of `keycard scan` (see scan-parallel.ts): takes chunks of the file list from
 * the shared counter until none is left, and reports each chunk's findings, counts and (for
 * `--verify`) keys to the main thread.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { newScanStats, scanRange } from './scan.js';
import { holdKeys, takeHeldKeys } from './scan-held-keys.js';
import type { ScanChunkResult, ScanWorkerData } from './scan-parallel.js';

/** Scans chunks until none is left, reporting each. */
function scan(data: ScanWorkerData): void {
  const chunks = Math.ceil(data.files.length / data.chunk);
  if (data.holdKeys) holdKeys();
  for (
    let chunk = Atomics.add(data.counters, 0, 1);
    chunk < chunks;
    chunk = Atomics.add(data.counters, 0, 1)
  ) {
    const start = chunk * data.chunk;
    const end = Math.min(data.files.length, start + data.chunk);
    const stats = newScanStats();
    const findings = scanRange(data.files, start, end, stats, data.cwd);
    Atomics.add(data.counters, 1, end - start);
    const held = data.holdKeys ? [...takeHeldKeys()] : [];
    if (data.holdKeys) holdKeys();
    const { ignored: _ignored, ...counts } = stats;
    const result: ScanChunkResult = { chunk, findings, stats: counts, held };
    parentPort?.postMessage(result);
  }
  // Done: the main thread sees the exit.
  parentPort?.close();
}

// Started early, while the main thread lists the files: the work comes in one message.
parentPort?.once('message', (data: ScanWorkerData) => scan(data));
