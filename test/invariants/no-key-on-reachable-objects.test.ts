/**
 * No object keycard hands out leads to the clear key, during a call or after it: the client, its
 * `.sdk`, what the SDK returns (Gemini's models and chats, a pending call's promise, the result),
 * walked through every own property (getters called, symbols and hidden ones included, Maps,
 * Sets, buffers, prototypes) and printed by `util.inspect` with `customInspect: false`,
 * `showHidden` and no depth limit. A proxy holds each request at the server, so the call is in
 * flight while the objects are looked at. Telegram goes over HTTPS with its own agent: an agent's
 * sockets lead to the request in flight, whose path holds the token.
 */
import { Agent } from 'node:https';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type KeycardClient } from '../../src/client.js';
import { keys } from '../../src/keys/index.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { providerOf, type SupportedProvider } from '../../src/providers/registry.js';
import { startSimulator } from '../../src/testing/index.js';
import { startHoldingProxy } from '../helpers/holding-proxy.js';
import { CANARY_MARKER, type TestKeyKind, testKey } from '../helpers/keys.js';
import { pathsTo } from '../helpers/reach.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls.js';

// biome-ignore lint/suspicious/noExplicitAny: each provider's SDK has its own type.
type AnySdk = any;

/** A call in flight, and the objects it handed out on the way. */
interface Started {
  pending: Promise<unknown>;
  handedOut: unknown[];
}

const messages = [{ role: 'user' as const, content: 'hi' }];

const START: Record<SupportedProvider, (sdk: AnySdk) => Started> = {
  openai: (sdk) => ({
    pending: sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    handedOut: [sdk.chat.completions],
  }),
  xai: (sdk) => ({ pending: sdk.chat.completions.create({ model: 'grok-3-mini', messages }), handedOut: [] }),
  together: (sdk) => ({
    pending: sdk.chat.completions.create({ model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages }),
    handedOut: [],
  }),
  mistral: (sdk) => ({
    pending: sdk.chat.completions.create({ model: 'mistral-small-latest', messages }),
    handedOut: [],
  }),
  deepseek: (sdk) => ({
    pending: sdk.chat.completions.create({ model: 'deepseek-chat', messages }),
    handedOut: [],
  }),
  openrouter: (sdk) => ({
    pending: sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages }),
    handedOut: [],
  }),
  groq: (sdk) => ({
    pending: sdk.chat.completions.create({ model: 'llama-3.1-8b-instant', messages }),
    handedOut: [],
  }),
  anthropic: (sdk) => ({
    pending: sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages }),
    handedOut: [sdk.messages],
  }),
  gemini: (sdk) => {
    const model = sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
    const chat = model.startChat();
    return { pending: chat.sendMessage('hi'), handedOut: [model, chat] };
  },
  'google-genai': (sdk) => {
    const chat = sdk.chats.create({ model: 'gemini-2.5-flash' });
    return {
      pending: chat.sendMessage({ message: 'hi' }),
      handedOut: [sdk.models, sdk.chats, chat, sdk.live],
    };
  },
  slack: (sdk) => ({ pending: sdk.chat.postMessage({ channel: 'C1', text: 'hi' }), handedOut: [sdk.chat] }),
  telegram: (sdk) => ({ pending: sdk.sendMessage(42, 'hi'), handedOut: [] }),
  discord: (sdk) => ({
    pending: sdk.post('/channels/1100000000000000009/messages', { body: { content: 'hi' } }),
    handedOut: [sdk.handlers, sdk.options],
  }),
};

let certificates: TestCertificates;
beforeAll(async () => {
  certificates = await makeTestCertificates();
});

const agents: Agent[] = [];
afterAll(() => {
  for (const agent of agents) agent.destroy();
});

/** What a look at `roots` finds: paths to the key, and whether util.inspect prints it. */
function look(roots: readonly unknown[], needles: readonly string[]): { paths: string[]; printed: boolean } {
  const paths = pathsTo(roots, needles);
  const text = inspect(roots, {
    customInspect: false,
    showHidden: true,
    depth: Number.POSITIVE_INFINITY,
    getters: true,
    maxArrayLength: Number.POSITIVE_INFINITY,
    maxStringLength: Number.POSITIVE_INFINITY,
  });
  return { paths, printed: needles.some((needle) => text.includes(needle)) };
}

/** Holds the call `start` makes at the server, and looks at every object before and after. */
async function checkInFlight(
  provider: SupportedProvider,
  start: (sdk: AnySdk) => Started,
  pooled = false,
): Promise<void> {
  // A client of another SDK ('google-genai') takes its provider's keys and simulator ('gemini').
  const keyProvider = providerOf(provider);
  const canary = testKey(keyProvider as TestKeyKind, 'reach', CANARY_MARKER);
  // A pool: a second member, whose key must not be reachable either.
  const second = testKey(keyProvider as TestKeyKind, 'reach-second', CANARY_MARKER);
  const canaries = pooled ? [canary, second] : [canary];
  const needles = [
    CANARY_MARKER,
    ...canaries.flatMap((key) => [key.slice(-20), encodeURIComponent(key).slice(-20)]),
  ];
  const simulator = await startSimulator({ keys: canaries });
  const https = provider === 'telegram';
  const proxy = await startHoldingProxy(simulator.url, https ? certificates : undefined);
  const agent = https ? new Agent({ ca: certificates.ca, keepAlive: true }) : undefined;
  if (agent !== undefined) agents.push(agent);
  let client: KeycardClient<AnySdk> | undefined;
  try {
    const source = pooled ? keys.pool(canaries.map((key) => keys.literal(key))) : keys.literal(canary);
    client = (await createClient(provider, source, {
      baseURL: simulator.baseURL(keyProvider).replace(simulator.url, proxy.url),
      maxRetries: 0,
      ledger: new MemoryLedger(),
      ...(agent === undefined ? {} : { sdkOptions: { agent } }),
    } as never)) as KeycardClient<AnySdk>;
    const { pending, handedOut } = start(client.sdk);
    pending.catch(() => {});
    await proxy.arrived();

    const during = look([client, client.sdk, pending, ...handedOut], needles);
    expect(during.paths).toEqual([]);
    expect(during.printed).toBe(false);

    proxy.release();
    const result = await pending;
    const response = (result as { response?: unknown } | undefined)?.response;
    if (response instanceof Promise) await response; // a Gemini stream, read to its end
    const after = look([client, client.sdk, pending, result, ...handedOut], needles);
    expect(after.paths).toEqual([]);
    expect(after.printed).toBe(false);
  } finally {
    proxy.release();
    await client?.close();
    await proxy.close();
    await simulator.close();
  }
}

describe.each(Object.keys(START) as SupportedProvider[])('a %s client', (provider) => {
  it('leads to no clear key while a call is in flight, nor after it', () =>
    checkInFlight(provider, START[provider]));
});

describe.each(Object.keys(START) as SupportedProvider[])('a %s client on a pool of two keys', (provider) => {
  it('leads to no clear key of either member while a call is in flight, nor after it', () =>
    checkInFlight(provider, START[provider], true));
});

describe('Gemini streams', () => {
  it('a chat stream and a model stream lead to no clear key in flight or after', async () => {
    await checkInFlight('gemini', (sdk) => {
      const model = sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
      const chat = model.startChat({ history: [] });
      return { pending: chat.sendMessageStream('hi'), handedOut: [model, chat] };
    });
    await checkInFlight('gemini', (sdk) => {
      const model = sdk.getGenerativeModel({ model: 'gemini-2.5-flash' });
      return { pending: model.generateContentStream('hi'), handedOut: [model] };
    });
  });

  it('a @google/genai model stream and chat stream lead to no clear key in flight or after', async () => {
    const drain = async (pending: Promise<AsyncIterable<unknown>>) => {
      for await (const _chunk of await pending);
    };
    await checkInFlight('google-genai', (sdk) => ({
      pending: drain(sdk.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })),
      handedOut: [sdk.models],
    }));
    await checkInFlight('google-genai', (sdk) => {
      const chat = sdk.chats.create({ model: 'gemini-2.5-flash' });
      return { pending: drain(chat.sendMessageStream({ message: 'hi' })), handedOut: [chat] };
    });
  });
});
