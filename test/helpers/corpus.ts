/**
 * A log-like corpus generated at run time from a seed: ordinary lines (text, JSON, access logs,
 * stack traces), keys of every shape the redactor knows planted among them (half next to a
 * keyword, half bare), and decoys that must not be taken for keys. Nothing here is committed as a
 * key-shaped literal: every key is assembled from pieces and random characters.
 */
import { randomString, seededRandom } from './keys.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = `${ALNUM}_-`;
const HEX = '0123456789abcdef';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DIGITS = '0123456789';
const OPENAI_MARK = ['T3Bl', 'bkFJ'].join('');
const dash = '-';

/** A generator of one key shape: its id (as the redactor labels it) and a fresh key. */
export interface ShapeGenerator {
  /** The pattern id in src/redact/patterns.ts that must find it. */
  id: string;
  /** The label the replacement carries. */
  label: string;
  make(random: () => number): string;
  /**
   * The part of a made key that is secret, when the redactor keeps the rest readable (a Discord
   * webhook URL keeps its address; its id and token are replaced). Default: the whole key.
   */
  secret?(key: string): string;
}

/** Where the secret part of a planted key is in `text`: what a redactor must cover whole. */
export function secretRange(
  text: string,
  planted: { key: string; shape: ShapeGenerator },
): { start: number; end: number } {
  const secret = planted.shape.secret?.(planted.key) ?? planted.key;
  const start = text.indexOf(planted.key) + planted.key.indexOf(secret);
  return { start, end: start + secret.length };
}

const s = (random: () => number, length: number, alphabet = ALNUM) => randomString(random, length, alphabet);
const digits = (random: () => number, length: number) => s(random, length, DIGITS).replace(/^0/, '1');
/** An AWS access key id, long-term or temporary: 16 base32 characters, a digit and a letter among them. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const awsKeyId = (random: () => number) =>
  `${random() < 0.5 ? ['AK', 'IA'].join('') : ['AS', 'IA'].join('')}${s(random, 14, BASE32)}Q${s(random, 1, '234567')}`;

/** Every shape, built from pieces (so that no literal in this file is a key). */
export const SHAPES: readonly ShapeGenerator[] = [
  {
    id: 'openai',
    label: 'openai',
    make: (r) => ['sk', 'proj', `${s(r, 74, URLSAFE)}${OPENAI_MARK}${s(r, 74, URLSAFE)}`].join(dash),
  },
  {
    id: 'openai',
    label: 'openai',
    make: (r) => ['sk', 'svcacct', `${s(r, 74, URLSAFE)}${OPENAI_MARK}${s(r, 74, URLSAFE)}`].join(dash),
  },
  {
    id: 'openai',
    label: 'openai',
    make: (r) => ['sk', 'admin', `${s(r, 58, URLSAFE)}${OPENAI_MARK}${s(r, 58, URLSAFE)}`].join(dash),
  },
  { id: 'openai', label: 'openai', make: (r) => ['sk', `${s(r, 20)}${OPENAI_MARK}${s(r, 20)}`].join(dash) },
  {
    id: 'openai',
    label: 'openai',
    make: (r) => ['sk', 'None', `${s(r, 74, URLSAFE)}${OPENAI_MARK}${s(r, 74, URLSAFE)}`].join(dash),
  },
  {
    id: 'anthropic',
    label: 'anthropic',
    make: (r) => ['sk', 'ant', 'api03', `${s(r, 93, URLSAFE)}AA`].join(dash),
  },
  {
    id: 'anthropic',
    label: 'anthropic',
    make: (r) => ['sk', 'ant', 'admin01', `${s(r, 93, URLSAFE)}AA`].join(dash),
  },
  {
    id: 'anthropic',
    label: 'anthropic',
    make: (r) => ['sk', 'ant', 'oat01', `${s(r, 93, URLSAFE)}AA`].join(dash),
  },
  {
    id: 'anthropic',
    label: 'anthropic',
    make: (r) => ['sk', 'ant', 'ort01', `${s(r, 93, URLSAFE)}AA`].join(dash),
  },
  { id: 'gemini', label: 'gemini', make: (r) => ['AI', 'za', 'Sy', s(r, 33, URLSAFE)].join('') },
  {
    id: 'gemini-aq',
    label: 'gemini',
    make: (r) => ['AQ', s(r, 40 + Math.floor(r() * 40), URLSAFE)].join('.'),
  },
  { id: 'xai', label: 'xai', make: (r) => ['xa', 'i'].join('') + dash + s(r, 80) },
  { id: 'groq', label: 'groq', make: (r) => `${['gs', 'k'].join('')}_${s(r, 52)}` },
  { id: 'together', label: 'together', make: (r) => `${['tg', 'p'].join('')}_v1_${s(r, 43, URLSAFE)}` },
  {
    id: 'openrouter',
    label: 'openrouter',
    make: (r) => ['sk', 'or', 'v1', s(r, 64, '0123456789abcdef')].join(dash),
  },
  {
    id: 'slack-token',
    label: 'slack',
    make: (r) => `${['xo', 'xb'].join('')}-${digits(r, 12)}-${digits(r, 13)}-${s(r, 24)}`,
  },
  {
    id: 'slack-token',
    label: 'slack',
    make: (r) =>
      `${['xo', 'xp'].join('')}-${digits(r, 12)}-${digits(r, 12)}-${digits(r, 13)}-${s(r, 32, HEX)}`,
  },
  {
    id: 'slack-token',
    label: 'slack',
    make: (r) => `${['xo', 'xa'].join('')}-2-${digits(r, 11)}-${s(r, 30)}`,
  },
  { id: 'slack-token', label: 'slack', make: (r) => `${['xo', 'xr'].join('')}-${digits(r, 11)}-${s(r, 34)}` },
  {
    id: 'slack-app',
    label: 'slack',
    make: (r) => `${['xa', 'pp'].join('')}-1-A${s(r, 10, UPPER_ALNUM)}-${digits(r, 13)}-${s(r, 64, HEX)}`,
  },
  {
    id: 'slack-config',
    label: 'slack',
    make: (r) => `${['xo', 'xe'].join('')}.${['xo', 'xp'].join('')}-1-${s(r, 165, UPPER_ALNUM)}`,
  },
  { id: 'slack-config', label: 'slack', make: (r) => `${['xo', 'xe'].join('')}-1-${s(r, 146, UPPER_ALNUM)}` },
  {
    id: 'slack-webhook',
    label: 'slack',
    make: (r) =>
      `https://hooks.${'slack'}.com/services/T${s(r, 9, UPPER_ALNUM)}/B${s(r, 9, UPPER_ALNUM)}/${s(r, 24)}`,
  },
  {
    id: 'slack-legacy',
    label: 'slack',
    make: (r) => `${['xo', 'xa'].join('')}-${s(r, 30)}${digits(r, 2)}`,
  },
  {
    id: 'slack-webhook',
    label: 'slack',
    // Path ids not of the `T…/B…` kind.
    make: (r) =>
      `https://hooks.${'slack'}.com/services/${s(r, 11)}${digits(r, 1)}/${s(r, 11)}${digits(r, 1)}/${s(r, 24)}`,
  },
  { id: 'telegram', label: 'telegram', make: (r) => `${digits(r, 10)}:AA${s(r, 33, URLSAFE)}` },
  {
    id: 'aws-access-key',
    label: 'aws',
    make: awsKeyId,
  },
  {
    id: 'discord',
    label: 'discord',
    make: (r) =>
      `${['M', 'N', 'O'][Math.floor(r() * 3)]}${s(r, 25, URLSAFE)}.${s(r, 6, URLSAFE)}.${s(r, 38, URLSAFE)}`,
  },
  {
    id: 'discord-webhook',
    label: 'discord',
    make: (r) =>
      `https://${['', 'ptb.', 'canary.'][Math.floor(r() * 3)]}${['discord', 'discordapp'][Math.floor(r() * 2)]}.com/api/${r() < 0.5 ? '' : 'v10/'}webhooks/${digits(r, 19)}/${s(r, 68, URLSAFE)}`,
    secret: (key) => key.slice(key.indexOf('/webhooks/') + '/webhooks/'.length),
  },
  { id: 'vault', label: 'vault', make: (r) => `${'hvs'}.${s(r, 95, URLSAFE)}` },
  { id: 'vault', label: 'vault', make: (r) => `${'hvb'}.${s(r, 150, URLSAFE)}` },
  {
    id: 'vault-legacy',
    label: 'vault',
    // The redactor takes a legacy token only with a digit in it (so that `s.enumerateUsers` in
    // code is not one): about 1.5 % of random tokens have none, and are documented misses.
    make: (r) => {
      const token = s(r, 24);
      return /[0-9]/.test(token) ? `s.${token}` : `s.${token.slice(0, 23)}${Math.floor(r() * 10)}`;
    },
  },
  { id: 'header', label: 'credential', make: (r) => s(r, 40, `${ALNUM}._~+/`) },
  // No prefix: planted only after its variable's name (a bare one is a decoy, see makeDecoys).
  { id: 'mistral', label: 'mistral', make: (r) => s(r, 32) },
];

/** How a planted key sits in its line: next to a keyword, bare, or inside a URL. */
function plant(random: () => number, shape: ShapeGenerator, key: string): string {
  if (shape.id === 'header') {
    const forms = [
      `Authorization: Bearer ${key}`,
      `"authorization":"Bearer ${key}"`,
      `x-api-key: ${key}`,
      `curl -H 'x-goog-api-key: ${key}'`,
    ];
    return `${stamp(random)} INFO request headers ${forms[Math.floor(random() * forms.length)]}`;
  }
  if (shape.id === 'mistral') {
    const forms = [
      `DEBUG config MISTRAL_API_KEY=${key} loaded`,
      `{"env":{"MISTRAL_API_KEY": "${key}"}}`,
      `export MISTRAL_API_KEY='${key}'`,
      `  mistral_api_key: ${key}`,
    ];
    return `${stamp(random)} ${forms[Math.floor(random() * forms.length)]}`;
  }
  const choice = random();
  if (shape.id === 'telegram' && choice < 0.3) {
    return `${stamp(random)} ERROR request to https://api.telegram.org/bot${key}/sendMessage failed: ETIMEDOUT`;
  }
  if (choice < 0.5) return `${stamp(random)} DEBUG config ${shape.label.toUpperCase()}_TOKEN=${key} loaded`;
  const bare = [
    `${stamp(random)} WARN retrying with ${key} after 429`,
    `{"level":"info","value":"${key}","n":${Math.floor(random() * 99)}}`,
    `  at call (${key})`,
  ];
  return bare[Math.floor(random() * bare.length)] ?? '';
}

/** Decoys: look like keys to a careless eye, are not keys. */
export function makeDecoys(random: () => number): string[] {
  const sha = () => s(random, 40, HEX);
  const uuid = () => [8, 4, 4, 4, 12].map((length) => s(random, length, HEX)).join('-');
  return [
    `${['xo', 'xb'].join('')}-your-bot-token`,
    `${['xo', 'xb'].join('')}-xxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`,
    `${['xo', 'xb'].join('')}-0000000000-0000000000-000000000000000000000000`,
    `sk-proj-${'X'.repeat(40)}`,
    `sk-...${s(random, 4)}`,
    'sk-your-api-key-here',
    `sk-proj-****${s(random, 4)}`,
    `${['AI', 'za'].join('')}SyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`,
    `${['AI', 'za'].join('')}Sy${s(random, 20, URLSAFE)}`, // truncated
    `sk-ant-api03-${s(random, 30, URLSAFE)}`, // truncated
    `${['xa', 'i'].join('')}-${s(random, 40)}`, // truncated
    `${digits(random, 10)}:${s(random, 20, URLSAFE)}`,
    uuid(),
    sha(),
    `commit ${sha()}`,
    `sha256:${s(random, 64, HEX)}`,
    s(random, 120, `${ALNUM}+/`), // a base64 blob
    `data:image/png;base64,${s(random, 200, `${ALNUM}+/`)}==`,
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    'MyVeryLongComponentNameForTheDashboardView.render.call',
    'session.startTransaction',
    `s.${'a'.repeat(24)}`,
    'Authorization: [REDACTED]',
    `authorization: Bearer ${'$'}{TOKEN}`,
    'x-api-key: <your key>',
    'hooks.slack.com/services/YOUR/WEBHOOK/URL',
    'getOpenAIClientForTheCurrentWorkspace',
    `AQ.${'x'.repeat(8)}`,
    // 32 letters and digits, as a Mistral key, but with nothing naming it one: an id, not a key.
    `id=${s(random, 32)}`,
  ];
}

const WORDS = [
  'request',
  'user',
  'completed',
  'cache',
  'miss',
  'workflow',
  'node',
  'retry',
  'queue',
  'token',
  'model',
  'latency',
  'ok',
  'error',
  'Mozilla',
  'GET',
  'POST',
  'session',
];

function stamp(random: () => number): string {
  return `2026-11-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T${String(Math.floor(random() * 24)).padStart(2, '0')}:00:00.${digits(random, 3)}Z`;
}

function ordinaryLine(random: () => number): string {
  const kind = random();
  if (kind < 0.35) {
    const words = Array.from(
      { length: 6 + Math.floor(random() * 14) },
      () => WORDS[Math.floor(random() * WORDS.length)],
    );
    return `${stamp(random)} INFO ${words.join(' ')} id=${s(random, 8, HEX)}`;
  }
  if (kind < 0.6) {
    return JSON.stringify({
      level: 30,
      time: Math.floor(random() * 1e12),
      msg: 'call finished',
      model: 'gpt-4o-mini',
      tokens: Math.floor(random() * 5000),
      requestId: `req_${s(random, 24)}`,
      trace: s(random, 32, HEX),
    });
  }
  if (kind < 0.8) {
    return `10.0.${Math.floor(random() * 255)}.${Math.floor(random() * 255)} - - [28/Nov/2026:10:00:00 +0000] "GET /api/v1/items/${Math.floor(random() * 1e6)}?page=${Math.floor(random() * 9)} HTTP/1.1" 200 ${Math.floor(random() * 1e5)} "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"`;
  }
  return `    at Object.handler (/srv/app/node_modules/some-package/dist/index.js:${Math.floor(random() * 900)}:${Math.floor(random() * 80)})`;
}

export interface Corpus {
  text: string;
  /** Planted keys, each with the shape that must find it. */
  planted: Array<{ key: string; shape: ShapeGenerator }>;
  decoys: string[];
}

/**
 * About `bytes` of log-like text with `perShape` keys of every shape and every decoy planted at
 * random lines. Deterministic for a seed.
 */
export function generateCorpus(options: { seed?: number; bytes?: number; perShape?: number } = {}): Corpus {
  const random = seededRandom(options.seed ?? 42);
  const bytes = options.bytes ?? 1024 * 1024;
  const perShape = options.perShape ?? 5;
  const special: string[] = [];
  const planted: Corpus['planted'] = [];
  for (const shape of SHAPES) {
    for (let index = 0; index < perShape; index += 1) {
      const key = shape.make(random);
      planted.push({ key, shape });
      special.push(plant(random, shape, key));
    }
  }
  const decoys = makeDecoys(random);
  for (const decoy of decoys) special.push(`${stamp(random)} DEBUG example value ${decoy} from the docs`);
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = ordinaryLine(random);
    lines.push(line);
    size += line.length + 1;
  }
  for (const line of special) lines.splice(Math.floor(random() * (lines.length + 1)), 0, line);
  return { text: `${lines.join('\n')}\n`, planted, decoys };
}

const BASE64 = `${ALNUM}+/`;
const HOSTS = [
  'api.example.com',
  'www.google.com',
  'cdn.jsdelivr.net',
  'api.openai.com',
  'hooks.example.org',
  'storage.googleapis.com',
  'github.com',
  'registry.npmjs.org',
  'login.microsoftonline.com',
];
const URL_PATHS = [
  '/v1/users/',
  '/api/v2/items/',
  '/static/js/main.',
  '/assets/img/logo.',
  '/graphql/',
  '/v1/chat/',
];

/** One structured log line (pino-like JSON): many `:`, `.` and `/`, URLs, hashes, sometimes a base64 blob. */
function jsonLine(random: () => number, planted?: { key: string; shape: ShapeGenerator }): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const host = pick(HOSTS);
  const url = `https://${host}${pick(URL_PATHS)}${Math.floor(random() * 1e6)}.json?page=${Math.floor(random() * 50)}&sort=created_at.desc&ts=${(random() * 1e9).toFixed(3)}`;
  const headers: Record<string, string> = {
    host,
    'user-agent':
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
    accept: 'application/json, text/plain, */*',
    'x-request-id': [8, 4, 4, 4, 12].map((length) => s(random, length, HEX)).join('-'),
  };
  const entry: Record<string, unknown> = {
    time: stamp(random),
    level: pick(['info', 'debug', 'warn']),
    service: 'checkout.api.v2',
    hostname: `ip-10-0-${Math.floor(random() * 255)}-${Math.floor(random() * 255)}.ec2.internal`,
    msg: pick(['request completed', 'cache.miss for key user:profile:42', 'upstream responded', 'retrying']),
    req: {
      method: pick(['GET', 'POST']),
      url,
      remoteAddress: `10.0.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`,
      headers,
    },
    res: { statusCode: pick([200, 201, 304, 404, 500]), etag: `W/"${s(random, 20, HEX)}"` },
    responseTime: Number((random() * 900).toFixed(3)),
    version: `${Math.floor(random() * 9)}.${Math.floor(random() * 20)}.${Math.floor(random() * 99)}`,
    trace: { traceId: s(random, 32, HEX), spanId: s(random, 16, HEX) },
  };
  if (random() < 0.2) {
    entry['stack'] = [
      'Error: upstream timeout',
      `    at Timeout._onTimeout (/srv/app/node_modules/undici/lib/core/request.js:${Math.floor(random() * 900)}:${Math.floor(random() * 80)})`,
      '    at listOnTimeout (node:internal/timers.js:569:17)',
      '    at process.processTimers (node:internal/timers.js:512:7)',
    ].join('\n');
  }
  if (random() < 0.5) entry['payload'] = `${s(random, 200 + Math.floor(random() * 1800), BASE64)}==`;
  entry['links'] = Array.from(
    { length: Math.floor(random() * 4) },
    () => `https://${pick(HOSTS)}${pick(URL_PATHS)}${Math.floor(random() * 1e4)}.png`,
  );
  if (planted !== undefined) {
    if (planted.shape.id === 'header') headers['authorization'] = `Bearer ${planted.key}`;
    else if (planted.shape.id === 'telegram')
      entry['webhook'] = `https://api.telegram.org/bot${planted.key}/sendMessage`;
    else if (planted.shape.id === 'mistral') entry['env'] = { MISTRAL_API_KEY: planted.key };
    else entry['config'] = { [`${planted.shape.label}Token`]: planted.key };
  }
  return JSON.stringify(entry);
}

/**
 * A log of another shape than {@link generateCorpus}: long JSON lines (about 1.5 KB) full of `:`
 * and `.`, URLs and host names, stack traces, hashes and base64 blobs, with `perShape` keys of
 * every shape planted in JSON values. Deterministic for a seed.
 */
export function generateJsonCorpus(
  options: { seed?: number; bytes?: number; perShape?: number } = {},
): Corpus {
  const random = seededRandom(options.seed ?? 42);
  const bytes = options.bytes ?? 1024 * 1024;
  const perShape = options.perShape ?? 5;
  const planted: Corpus['planted'] = [];
  for (const shape of SHAPES) {
    for (let index = 0; index < perShape; index += 1) planted.push({ key: shape.make(random), shape });
  }
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = jsonLine(random);
    lines.push(line);
    size += line.length + 1;
  }
  for (const key of planted)
    lines.splice(Math.floor(random() * (lines.length + 1)), 0, jsonLine(random, key));
  return { text: `${lines.join('\n')}\n`, planted, decoys: [] };
}
