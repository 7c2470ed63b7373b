/**
 * Lines built to stress the redactor's patterns: every pattern's trigger followed by long runs that
 * almost match (spaces, digits, separators, key characters) and prefixes repeated back to back.
 * Each family makes a line of any length, so that the time per byte can be compared between a
 * short and a long line: a linear matcher spends the same per byte on both.
 *
 * Nothing here is a key: every line is a trigger and filler, never a complete shape.
 */

/** One kind of hostile line. */
export interface HostileLine {
  /** What it stresses, e.g. `spaces after Authorization:`. */
  name: string;
  /** A line of about `bytes` bytes (ASCII), without a newline. */
  make(bytes: number): string;
}

/** `unit` repeated to `bytes`, after `head`. */
function fill(head: string, unit: string, bytes: number, tail = ''): string {
  const count = Math.max(1, Math.ceil((bytes - head.length - tail.length) / unit.length));
  return head + unit.repeat(count) + tail;
}

/** Digits without any structure a key has (`0123456789` repeated). */
const DIGITS = '0123456789';
/** Key characters, no marker: as long as you like, never a key. */
const KEYISH = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';

const HEADER_NAMES = ['Authorization', 'authorization', 'x-api-key', 'X-Goog-Api-Key', 'api_key'];

/** Every family, named. */
export const HOSTILE_LINES: readonly HostileLine[] = [
  ...HEADER_NAMES.flatMap((header): HostileLine[] => [
    { name: `spaces after ${header}:`, make: (bytes) => fill(`${header}:`, ' ', bytes, 'x') },
    { name: `spaces after ${header}: Bearer`, make: (bytes) => fill(`${header}: Bearer`, ' ', bytes, '!') },
    { name: `tabs and spaces after ${header}=`, make: (bytes) => fill(`${header}=`, ' \t', bytes) },
    { name: `${header}: repeated`, make: (bytes) => fill('', `${header}: `, bytes) },
    { name: `${header}= repeated, no space`, make: (bytes) => fill('', `${header}=`, bytes) },
    { name: `separators after ${header}`, make: (bytes) => fill(header, ':=', bytes) },
    { name: `quotes after ${header}`, make: (bytes) => fill(`"${header}"`, `: "`, bytes) },
  ]),
  { name: 'Bearer Bearer …', make: (bytes) => fill('Authorization: ', 'Bearer ', bytes) },
  { name: 'Bot Bot … after x-api-key', make: (bytes) => fill('x-api-key: ', 'Bot ', bytes) },
  {
    name: 'a long value after Authorization',
    make: (bytes) => fill('Authorization: Bearer ', 'aB3.', bytes),
  },
  { name: 'spaces only', make: (bytes) => ' '.repeat(bytes) },
  { name: 'digits then :A', make: (bytes) => fill('', DIGITS, bytes, ':A') },
  { name: 'digits then %3AA', make: (bytes) => fill('', DIGITS, bytes, '%3AA') },
  { name: 'digits:A repeated', make: (bytes) => fill('', '12345678:A', bytes) },
  { name: ':A repeated', make: (bytes) => fill('1234567', ':A', bytes) },
  {
    name: 'digits:A and key characters',
    make: (bytes) => fill('', `123456789:A${KEYISH.slice(0, 30)} `, bytes),
  },
  { name: 'sk-sk-sk-…', make: (bytes) => fill('', 'sk-', bytes) },
  { name: 'sk-proj- and key characters', make: (bytes) => fill('sk-proj-', KEYISH, bytes) },
  {
    name: 'sk-proj- and the OpenAI marker repeated',
    make: (bytes) => fill('sk-proj-', ['T3Bl', 'bkFJ'].join(''), bytes, '.'),
  },
  { name: 'sk-ant-api03- repeated', make: (bytes) => fill('', 'sk-ant-api03-', bytes) },
  { name: 'AIzaAIza…', make: (bytes) => fill('', 'AIza', bytes) },
  { name: 'AIza separated', make: (bytes) => fill('', 'AIza ', bytes) },
  { name: 'AQ.AQ.…', make: (bytes) => fill('', 'AQ.', bytes) },
  { name: 'AQ. and key characters', make: (bytes) => fill('AQ.', KEYISH, bytes) },
  { name: 'xai-xai-…', make: (bytes) => fill('', 'xai-', bytes) },
  { name: 'xoxb-xoxb-…', make: (bytes) => fill('', 'xoxb-', bytes) },
  { name: 'xoxb-digits- repeated', make: (bytes) => fill('', 'xoxb-12345678-', bytes) },
  { name: 'xoxb- and dashed words', make: (bytes) => fill('xoxb-12345678-', 'ab-', bytes, '.') },
  { name: 'xoxe-1- repeated', make: (bytes) => fill('', 'xoxe-1-', bytes) },
  { name: 'xapp-1- repeated', make: (bytes) => fill('', 'xapp-1-ABCDEFGH-12345678-', bytes) },
  {
    name: 'Slack webhook prefix repeated',
    make: (bytes) => fill('', 'https://hooks.slack.com/services/TABCDEFG/', bytes),
  },
  { name: 'hvs.hvs.…', make: (bytes) => fill('', 'hvs.', bytes) },
  { name: 'hvs. and key characters', make: (bytes) => fill('hvs.', KEYISH, bytes) },
  { name: 's. and 24 letters repeated', make: (bytes) => fill('', 's.abcdefghijklmnopqrstuvwx ', bytes) },
  { name: 's.s.s.…', make: (bytes) => fill('', 's.', bytes) },
  { name: 'dotted segments (Discord trigger)', make: (bytes) => fill('M', '.abcdef', bytes) },
  // An id and a middle segment, then an HMAC one character too short: a Discord token almost.
  {
    name: 'Discord-like id and segments',
    make: (bytes) => fill('', 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.abcdef.ABCDEFGHIJKLMNOPQRSTUVWXYZ ', bytes),
  },
  { name: 'key characters only', make: (bytes) => fill('', KEYISH, bytes) },
  { name: 'dashes', make: (bytes) => fill('', '-', bytes) },
  { name: 'dots', make: (bytes) => fill('', '.', bytes) },
  { name: 'equals and colons', make: (bytes) => fill('', '=:', bytes) },
];

/**
 * The best (least) CPU time of `runs` calls of `work`, in milliseconds: CPU time, not wall time,
 * so that other processes on a loaded machine do not count; the best run, so that a garbage
 * collection or a preemption in one run does not either.
 */
export function bestOf(runs: number, work: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run += 1) {
    const start = process.cpuUsage();
    work();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

/** Throughput in MiB/s of `bytes` in `ms` milliseconds. */
export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / (1024 * 1024) / (Math.max(ms, 0.001) / 1000);
}

/** What {@link measureLine} found. */
export interface LineMeasure {
  /** MiB/s on a 16 KiB line (16 calls per run, so that the clock's resolution does not count). */
  small: number;
  /** MiB/s on a 128 KiB line (4 calls per run). */
  middle: number;
  /** MiB/s on a 1 MiB line; NaN when the 128 KiB line already showed super-linear time. */
  large: number;
  /** Time per byte on the longest line measured over time per byte on the 16 KiB line: about 1 when linear. */
  ratio: number;
}

/** Lengths measured: 16 KiB, 128 KiB and 1 MiB. */
const SMALL = 16 * 1024;
const MIDDLE = 128 * 1024;
const LARGE = 1024 * 1024;

/**
 * Measures `work` on lines of `family` of 16 KiB, 128 KiB and 1 MiB: each after a warm-up (so
 * that the JIT has compiled it), best of several runs. A super-linear `work` is caught on the
 * 128 KiB line (its time per byte there is 8 or more times that on the 16 KiB line), before the
 * 1 MiB line could take minutes.
 */
export function measureLine(
  family: HostileLine,
  work: (text: string) => unknown,
  maxRatio: number,
): LineMeasure {
  // Flat strings, as a log line read from a stream is (not a rope of concatenations).
  const small = Buffer.from(family.make(SMALL)).toString();
  const middle = Buffer.from(family.make(MIDDLE)).toString();
  // Warm up (at most about a second of CPU, for a slow `work`), then measure.
  const warmStart = process.cpuUsage();
  for (let warm = 0; warm < 40; warm += 1) {
    work(small);
    const used = process.cpuUsage(warmStart);
    if (used.user + used.system > 1_000_000) break;
  }
  const smallMs = bestOf(5, () => {
    for (let call = 0; call < 16; call += 1) work(small);
  });
  const smallRate = mibPerSecond(16 * small.length, smallMs);
  // One call first: a super-linear `work` is caught here, in seconds rather than minutes.
  const probeRate = mibPerSecond(
    middle.length,
    bestOf(1, () => work(middle)),
  );
  if (smallRate / probeRate > 2 * maxRatio) {
    return { small: smallRate, middle: probeRate, large: Number.NaN, ratio: smallRate / probeRate };
  }
  const middleMs = bestOf(7, () => {
    for (let call = 0; call < 4; call += 1) work(middle);
  });
  const middleRate = mibPerSecond(4 * middle.length, middleMs);
  if (smallRate / middleRate > maxRatio) {
    return { small: smallRate, middle: middleRate, large: Number.NaN, ratio: smallRate / middleRate };
  }
  const large = Buffer.from(family.make(LARGE)).toString();
  const largeRate = mibPerSecond(
    large.length,
    bestOf(5, () => work(large)),
  );
  return { small: smallRate, middle: middleRate, large: largeRate, ratio: smallRate / largeRate };
}
