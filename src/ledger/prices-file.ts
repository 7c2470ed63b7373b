/**
 * Where a client's custom prices come from: its `prices` option (entries, or a prices file's
 * path), else the file `KEYCARD_PRICES` names, else `$KEYCARD_HOME/prices.json` when it exists.
 * Each entry is checked when the client is created, so that a wrong price is an error then, never
 * a silent zero later. A file is read once and kept until its modification time or size changes.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { didYouMean } from '../did-you-mean.js';
import { KeycardError } from '../errors.js';
import { expandHome, keycardHomePath } from '../home.js';
import type { ProviderId } from '../providers/ids.js';
import { CustomPrices, type PriceEntry, type SourcedEntry } from './custom-prices.js';

/** What the `prices` option may be. */
export type PricesOption = string | PriceEntry | readonly PriceEntry[] | false | undefined;

/** Checks one entry; throws a `KeycardError` naming `root`'s wrong field. */
type CheckEntry = (where: string, root: string, entry: unknown) => void;

interface CachedFile {
  mtimeMs: number;
  size: number;
  entries: SourcedEntry[];
}

const files = new Map<string, CachedFile>();

/** Why `stat` may not see an optional file: it is not there for this process. */
const UNSEEN: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ERR_ACCESS_DENIED']);

/** The prices file used when the `prices` option is not given, and what named it. */
function defaultFile(): { path: string; named: string; required: boolean } {
  const configured = process.env['KEYCARD_PRICES']?.trim();
  if (configured !== undefined && configured !== '') {
    return { path: resolve(expandHome(configured)), named: ' (KEYCARD_PRICES)', required: true };
  }
  return { path: join(keycardHomePath(), 'prices.json'), named: '', required: false };
}

function errorText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}

async function readPricesFile(
  where: string,
  path: string,
  named: string,
  required: boolean,
  checkEntry: CheckEntry,
): Promise<SourcedEntry[] | undefined> {
  const about = `${where}: prices file ${path}${named}`;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    // The default file is optional: one that this process cannot even look at (no such
    // directory, a home it may not search, Node's permission model) is not there for it.
    if (!required && UNSEEN.has(String((error as { code?: unknown }).code))) return undefined;
    throw new KeycardError(`${about} cannot be read: ${errorText(error)}.`);
  }
  const cached = files.get(path);
  if (cached !== undefined && cached.mtimeMs === info.mtimeMs && cached.size === info.size) {
    return cached.entries;
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KeycardError(`${about} cannot be read: ${errorText(error)}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new KeycardError(
      `${about} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const list =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'prices' in parsed
      ? (parsed as { prices: unknown }).prices
      : parsed;
  if (!Array.isArray(list)) {
    throw new KeycardError(
      `${about} must hold an array of price entries (or { "prices": [ … ] }), such as [{ "model": "ft:gpt-4o-mini:acme:*", "inputPerMTok": 0.3, "outputPerMTok": 1.2 }].`,
    );
  }
  const label = `custom (${basename(path)})`;
  const entries = list.map((entry, index) => {
    checkEntry(about, `[${index}]`, entry);
    return { ...(entry as PriceEntry), label };
  });
  files.set(path, { mtimeMs: info.mtimeMs, size: info.size, entries });
  return entries;
}

/** Names of a provider that are not its keycard id (a client name, genai-prices' id). */
const ALIASES: Readonly<Record<string, string>> = {
  google: 'gemini',
  'google-genai': 'gemini',
  'x-ai': 'xai',
};

/** A provider named in an entry must be one keycard knows (built in or registered). */
function checkProviders(
  where: string,
  root: (index: number) => string,
  entries: readonly SourcedEntry[],
  providers: readonly string[],
) {
  entries.forEach((entry, index) => {
    if (entry.provider === undefined || providers.includes(entry.provider)) return;
    const guess = ALIASES[entry.provider] ?? didYouMean(entry.provider, providers);
    throw new KeycardError(
      `${where}: ${root(index)}.provider is no provider keycard knows (${JSON.stringify(entry.provider.slice(0, 40))}).${guess === undefined ? ` Providers: ${providers.join(', ')}.` : ` Did you mean '${guess}'?`}`,
    );
  });
}

/**
 * The custom prices of a client of `provider`, from its `prices` option (already checked as a
 * whole by `checkClientOptions`), `KEYCARD_PRICES` or `$KEYCARD_HOME/prices.json`; `undefined`
 * when there are none for its provider. `check.entry` checks each entry (options.ts's
 * `checkPriceEntry`); `check.providers` are the provider ids an entry may name.
 */
export async function loadCustomPrices(
  where: string,
  option: PricesOption,
  provider: ProviderId,
  check: { entry: CheckEntry; providers: readonly string[] },
): Promise<CustomPrices | undefined> {
  const checkEntry = check.entry;
  if (option === false) return undefined;
  let entries: SourcedEntry[] | undefined;
  let root: (index: number) => string;
  let about = where;
  if (option === undefined || typeof option === 'string') {
    const file =
      option === undefined ? defaultFile() : { path: resolve(expandHome(option)), named: '', required: true };
    entries = await readPricesFile(where, file.path, file.named, file.required, checkEntry);
    about = `${where}: prices file ${file.path}${file.named}`;
    root = (index) => `[${index}]`;
  } else {
    const list: readonly PriceEntry[] = Array.isArray(option) ? option : [option as PriceEntry];
    const single = !Array.isArray(option);
    root = (index) => (single ? 'options.prices' : `options.prices[${index}]`);
    entries = list.map((entry, index) => {
      checkEntry(where, root(index), entry);
      return { ...entry, label: 'custom (options)' };
    });
  }
  if (entries === undefined) return undefined;
  checkProviders(about, root, entries, check.providers);
  const prices = new CustomPrices(entries, provider);
  return prices.empty ? undefined : prices;
}
