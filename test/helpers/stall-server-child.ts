/**
 * A child process for test/faults/timeouts.test.ts: makes every stalled call of every provider
 * against the stall servers of the parent (argv: the `silent`, `json` and `sse` server URLs),
 * prints one JSON line per call, then `done` with the resources still active, and is expected to
 * exit on its own at once: a timer or a socket left behind keeps it alive.
 */
import type { StallMode } from './stall-server.js';
import {
  type CallKind,
  modesOf,
  PROVIDERS,
  reportError,
  stallCall,
  stallClient,
} from './stall-server-calls.js';

const [silent, json, sse] = process.argv.slice(2) as [string, string, string];
const urls: Record<StallMode, string> = { silent, json, sse };

for (const provider of PROVIDERS) {
  for (const kind of ['call', 'stream', 'abort'] as CallKind[]) {
    for (const mode of modesOf(provider, kind)) {
      const client = await stallClient(provider, urls[mode]);
      const controller = new AbortController();
      const timer = kind === 'abort' ? setTimeout(() => controller.abort(), 100) : undefined;
      const started = performance.now();
      let line: Record<string, unknown>;
      try {
        await stallCall(provider, client, kind, kind === 'abort' ? controller.signal : undefined);
        line = { provider, kind, mode, settled: 'resolved' };
      } catch (error) {
        const report = reportError(error);
        line = {
          provider,
          kind,
          mode,
          settled: 'rejected',
          className: report.className,
          threw: report.threw,
        };
      }
      clearTimeout(timer);
      line['ms'] = Math.round(performance.now() - started);
      await client.close();
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
}
process.stdout.write(`${JSON.stringify({ done: true, active: process.getActiveResourcesInfo() })}\n`);
