/**
 * The JSON-lines ledger: one append-only file of usage events, one JSON object a line, that
 * several processes can share with no native module and no WebAssembly. Each batch is one
 * `write()` to a file opened with `O_APPEND`, so the lines of processes writing at once never
 * mix; a line cut short (a disk full, a process killed mid-write) is skipped by readers, and
 * every record has an id, so that a batch written again after a failure is counted once.
 * Budget leases and one-time alerts are lines too, written under a lock file (`PATH.lock`); an
 * event line names the leases its usage is charged to. Readers parse the file in JavaScript, and only what was appended since their
 * last read. The fallback of the default ledger when no SQLite driver loads (see `default.ts`).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeycardError } from '../errors.js';
import {
  BaseLedger,
  type LeaseChange,
  type LeaseView,
  type LedgerOptions,
  type PendingEvent,
  type Reservation,
  usageAmount,
} from './base.js';
import type { BudgetScope } from './budget.js';
import { applyLeaseChange, Hold, recordedSince, sumHolds } from './holds.js';
import { withFileLock } from './jsonl-lock.js';
import { hasTags, NO_TAGS } from './tags.js';
import { matchesQuery, sumEvents, sumKeys } from './totals.js';
import type { KeyUsage, TotalsQuery, TotalsRow, UsageEvent } from './types.js';

/** Options of the JSON-lines ledger. */
export interface JsonlLedgerOptions extends LedgerOptions {
  /**
   * How long a budget check waits for another process holding the lock file, in milliseconds.
   * @default 10000
   */
  busyTimeoutMs?: number | undefined;
}

/** The format version every line carries; lines of another version are skipped. */
const VERSION = 1;
/** Where each record starts: a line spoiled by a torn write before it is read from here. */
const RECORD_START = `{"v":${VERSION},`;

/** One line of the file. */
interface Line {
  v: number;
  /** Record id: a record written twice (a batch retried after a short write) counts once. */
  id?: string;
  /** A usage event, `time` as ISO text. */
  e?: Record<string, unknown>;
  /** Holds deleted: a lease returned whole, or (keycard before leases) reservations released. */
  rel?: string[];
  /** Leases the event on this line is charged to. */
  chg?: string[];
  /** A hold, as it is from this line on: a budget lease (or a reservation of keycard before leases). */
  r?: Reservation;
  /** An alert fired once. */
  a?: string;
}

const nano = (usd: number | null): number | null => (usd === null ? null : Math.round(usd * 1e9) / 1e9);

function toEvent(raw: Record<string, unknown>): UsageEvent | undefined {
  const time = new Date(raw['time'] as string);
  if (
    Number.isNaN(time.getTime()) ||
    typeof raw['provider'] !== 'string' ||
    typeof raw['keyFingerprint'] !== 'string'
  )
    return undefined;
  // Lines written before tags, or of calls without any, have none.
  const tags = raw['tags'];
  return Object.freeze({
    ...(raw as unknown as UsageEvent),
    time,
    tags: typeof tags === 'object' && tags !== null ? Object.freeze(tags as Record<string, string>) : NO_TAGS,
  });
}

function parseLine(text: string): Line | undefined {
  const attempt = (part: string): Line | undefined => {
    try {
      const line = JSON.parse(part) as Line;
      return line !== null && typeof line === 'object' && line.v === VERSION ? line : undefined;
    } catch {
      return undefined;
    }
  };
  const line = attempt(text);
  if (line !== undefined) return line;
  // A torn write (its process died, or the disk filled) left a fragment without its newline, and
  // the next record was appended after it: read that record.
  const start = text.lastIndexOf(RECORD_START);
  return start > 0 ? attempt(text.slice(start)) : undefined;
}

/** What the file says, as far as it has been read. */
class FileState {
  readonly events: UsageEvent[] = [];
  readonly ids = new Set<string>();
  readonly holds = new Map<string, Hold>();
  readonly released = new Set<string>();
  readonly alerts = new Set<string>();
  /** Bytes read: the end of the last complete line. */
  offset = 0;

  apply(line: Line): void {
    if (line.id !== undefined) {
      if (this.ids.has(line.id)) return;
      this.ids.add(line.id);
    }
    if (line.e !== undefined) {
      const event = toEvent(line.e);
      if (event !== undefined) {
        this.events.push(event);
        if (line.chg !== undefined) {
          const used = usageAmount(event);
          for (const id of line.chg) this.holds.get(id)?.charge(used);
        }
      }
    }
    for (const id of line.rel ?? []) {
      this.released.add(id);
      this.holds.delete(id);
    }
    if (line.r !== undefined && !this.released.has(line.r.id)) this.holds.set(line.r.id, Hold.from(line.r));
    if (line.a !== undefined) this.alerts.add(line.a);
  }
}

export class JsonlLedger extends BaseLedger {
  readonly path: string;
  readonly #lockPath: string;
  readonly #busyTimeoutMs: number;
  readonly #fd: number;
  readonly #state = new FileState();
  /** Record ids: this ledger's prefix, and a counter. */
  readonly #run = randomBytes(6).toString('base64url');
  #sequence = 0;

  constructor(path: string, options: JsonlLedgerOptions = {}) {
    super(options);
    this.path = path;
    this.#lockPath = `${path}.lock`;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // O_APPEND: every write lands at the end of the file, whoever else writes to it.
      this.#fd = openSync(path, 'a+', 0o600);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const why =
        code === 'EROFS'
          ? 'the file system is read-only'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : code === 'ENOSPC'
              ? 'the disk is full'
              : code === 'EISDIR'
                ? 'it is a folder'
                : error instanceof Error
                  ? error.message
                  : String(error);
      throw new KeycardError(`keycard: the usage file ${path} cannot be opened: ${why}.`, { cause: error });
    }
  }

  #id(): string {
    this.#sequence += 1;
    return `${this.#run}.${this.#sequence.toString(36)}`;
  }

  /** Appends lines in one write: they land whole and together, or the write fails. */
  #append(lines: readonly Line[]): void {
    if (lines.length === 0) return;
    const buffer = Buffer.from(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    const written = writeSync(this.#fd, buffer, 0, buffer.length);
    if (written !== buffer.length) {
      // Readers skip the fragment; the batch is written again whole, and its ids count it once.
      throw Object.assign(new Error(`short write to ${this.path} (${written} of ${buffer.length} bytes)`), {
        code: 'ENOSPC',
      });
    }
  }

  #write(batch: readonly PendingEvent[]): void {
    const lines: Line[] = [];
    for (const pending of batch) {
      // Ids are given once per event: a batch retried carries the ids of its first try.
      const tagged = pending as PendingEvent & { id?: string };
      tagged.id ??= this.#id();
      const { event, leases } = pending;
      // No tags: the line as keycard wrote it before tags (older readers read it alike).
      const { tags, ...fields } = event;
      const e = {
        ...fields,
        time: event.time.toISOString(),
        costUsd: nano(event.costUsd),
        ...(hasTags(tags) ? { tags } : {}),
      };
      lines.push({ v: VERSION, id: tagged.id, e, ...(leases.length > 0 ? { chg: [...leases] } : {}) });
    }
    this.#append(lines);
  }

  /** Reads what was appended since the last read. */
  #refresh(): FileState {
    const state = this.#state;
    const size = fstatSync(this.#fd).size;
    if (size <= state.offset) return state;
    const buffer = Buffer.allocUnsafe(size - state.offset);
    let read = 0;
    while (read < buffer.length) {
      const count = readSync(this.#fd, buffer, read, buffer.length - read, state.offset + read);
      if (count === 0) break;
      read += count;
    }
    // Complete lines only: a line still being written is read next time.
    const end = buffer.lastIndexOf(0x0a, read - 1);
    if (end < 0) return state;
    for (const text of buffer.toString('utf8', 0, end).split('\n')) {
      if (text === '') continue;
      const line = parseLine(text);
      if (line !== undefined) state.apply(line);
    }
    state.offset += end + 1;
    return state;
  }

  protected writeBatch(batch: readonly PendingEvent[]): void {
    this.#write(batch);
  }

  protected writeBatchSync(batch: readonly PendingEvent[]): boolean {
    try {
      this.#write(batch);
      return true;
    } catch {
      return false;
    }
  }

  protected override removeLeasesSync(ids: readonly string[]): void {
    try {
      this.#append([{ v: VERSION, id: this.#id(), rel: [...ids] }]);
    } catch {
      // They expire.
    }
  }

  protected async readTotals(query: TotalsQuery): Promise<TotalsRow[]> {
    return sumEvents(this.#refresh().events, query).map((row) => ({ ...row, costUsd: nano(row.costUsd) }));
  }

  protected async readEvents(query: Omit<TotalsQuery, 'by'>, after: number, limit: number) {
    const events = this.#refresh().events;
    const page: Array<{ id: number; event: UsageEvent }> = [];
    for (let index = after; index < events.length && page.length < limit; index += 1) {
      const event = events[index] as UsageEvent;
      if (matchesQuery(event, query)) page.push({ id: index + 1, event });
    }
    return page;
  }

  protected async readKeys(): Promise<KeyUsage[]> {
    return sumKeys(this.#refresh().events).map((key) => ({ ...key, costUsd: nano(key.costUsd) }));
  }

  protected async lockedLease(
    scope: BudgetScope,
    since: readonly Date[],
    id: string,
    decide: (view: LeaseView) => LeaseChange | undefined,
  ): Promise<LeaseView> {
    return withFileLock(this.#lockPath, this.#busyTimeoutMs, () => {
      const state = this.#refresh();
      const recorded = recordedSince(state.events, scope, since);
      const now = Date.now();
      const view: LeaseView = { recorded, ...sumHolds(state.holds, scope.id, id, now) };
      const change = decide(view);
      if (change !== undefined) {
        // The hold as it is from now on, whole: readers (keycard before leases too) set it.
        const hold = applyLeaseChange(state.holds, scope.id, id, now, change);
        const line: Line =
          hold === undefined
            ? { v: VERSION, id: this.#id(), rel: [id] }
            : { v: VERSION, id: this.#id(), r: hold.toReservation(id) };
        this.#append([line]);
      }
      return view;
    });
  }

  protected async insertAlertMark(key: string): Promise<boolean> {
    return withFileLock(this.#lockPath, this.#busyTimeoutMs, () => {
      if (this.#refresh().alerts.has(key)) return false;
      this.#append([{ v: VERSION, id: this.#id(), a: key }]);
      return true;
    });
  }

  protected async closeStore(): Promise<void> {
    closeSync(this.#fd);
  }

  override toString(): string {
    return `JsonlLedger(${this.path})`;
  }
}

/** Opens (creating if needed, mode 0600) the JSON-lines ledger at `path`. */
export async function openJsonlLedger(path: string, options: JsonlLedgerOptions = {}): Promise<JsonlLedger> {
  return new JsonlLedger(path, options);
}
