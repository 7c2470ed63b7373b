// One side of the per-call overhead benchmark, in its own process: the raw SDK or keycard's
// client, calling the same simulator. argv: side (raw|keycard|keycard-budget|keycard-pool), call,
// the provider's base URL, key, time budget (ms), ledger path, concurrency; for keycard-pool, the
// pool's second key in KEYCARD_BENCH_POOL_KEY (a pool of two keys, failover: the first serves). Runs `concurrency` loops of calls for
// the time budget (after a warm-up) and prints JSON: calls per second, process CPU time per call
// (µs), latency p50/p99 (ms) and, for streams, the median time to the first event (ms).
const [side, call, baseURL, key, time, ledgerPath, concurrencyArg = '1'] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const messages = [{ role: 'user', content: 'benchmark me' }];
const provider = call.split('-')[0];

async function makeSdk() {
  if (side !== 'raw') {
    const { createClient, keys, openLedger } = await import('../dist/index.js');
    const ledger = await openLedger(`sqlite:${ledgerPath}`);
    const source =
      side === 'keycard-pool'
        ? keys.pool([keys.literal(key), keys.literal(process.env.KEYCARD_BENCH_POOL_KEY)])
        : keys.literal(key);
    const client = await createClient(provider, source, {
      baseURL,
      ledger,
      maxRetries: 0,
      telemetry: false,
      // A budget far from its limit: every call is checked against it.
      ...(side === 'keycard-budget' ? { budget: { usd: 1_000_000, period: 'month' } } : {}),
    });
    return client.sdk;
  }
  switch (provider) {
    case 'openai': {
      const { default: OpenAI } = await import('openai');
      return new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
    }
    case 'anthropic': {
      const { default: Anthropic } = await import('@anthropic-ai/sdk');
      return new Anthropic({ apiKey: key, baseURL, maxRetries: 0 });
    }
    case 'slack': {
      const { WebClient } = await import('@slack/web-api');
      return new WebClient(key, { slackApiUrl: baseURL, retryConfig: { retries: 0 } });
    }
    case 'gemini': {
      const { GoogleGenerativeAI } = await import('@google/generative-ai');
      const sdk = new GoogleGenerativeAI(key);
      return { getGenerativeModel: (params) => sdk.getGenerativeModel(params, { baseUrl: baseURL }) };
    }
    default: {
      const { Telegram } = await import('telegraf');
      return new Telegram(key, { apiRoot: baseURL });
    }
  }
}

let firstEvent = [];
const streamed = async (stream) => {
  const started = performance.now();
  let first = true;
  for await (const _ of stream) {
    if (first) {
      firstEvent.push(performance.now() - started);
      first = false;
    }
  }
};

const calls = {
  'openai-chat': (sdk) => sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
  'openai-stream': async (sdk) =>
    streamed(await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })),
  'anthropic-chat': (sdk) => sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages }),
  'anthropic-stream': async (sdk) =>
    streamed(
      await sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages, stream: true }),
    ),
  'slack-post': (sdk) => sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'benchmark' }),
  'gemini-generate': (sdk) =>
    sdk.getGenerativeModel({ model: 'gemini-2.5-flash' }).generateContent('benchmark me'),
  'telegram-send': (sdk) => sdk.getMe(),
};

const sdk = await makeSdk();
const run = calls[call];

/** Runs `concurrency` loops for `ms`; returns calls, CPU µs and latencies. */
async function drive(ms) {
  const latencies = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + ms;
  let count = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      const begun = performance.now();
      await run(sdk);
      latencies.push(performance.now() - begun);
      count += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { count, elapsed, cpuUs: used.user + used.system, latencies };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
// Warm-up: JIT, connections, and keycard's first-call work (price data, ledger file).
for (let warm = 0; warm < 30; warm += 1) await run(sdk);
await drive(Math.max(300, Number(time) / 3));
firstEvent = [];
const { count, elapsed, cpuUs, latencies } = await drive(Number(time));
latencies.sort((a, b) => a - b);
firstEvent.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({
    throughput: (count * 1000) / elapsed,
    cpuPerCall: cpuUs / count,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    firstEvent: firstEvent.length > 0 ? quantile(firstEvent, 0.5) : null,
    calls: count,
  }),
);
process.exit(0);
