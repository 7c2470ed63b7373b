// One side of the per-call overhead benchmark, in its own process: the raw SDK or keycard's
// client, calling the same simulator. argv: side (raw|keycard), call, the provider's base URL, key,
// time budget (ms), ledger path. Prints tinybench's numbers as JSON.
import { Bench } from 'tinybench';

const [side, call, baseURL, key, time, ledgerPath] = process.argv.slice(2);
const messages = [{ role: 'user', content: 'benchmark me' }];

async function makeSdk(provider) {
  if (side === 'keycard') {
    const { createClient, keys, openLedger } = await import('../dist/index.js');
    const ledger = await openLedger(`sqlite:${ledgerPath}`);
    const client = await createClient(provider, keys.literal(key), {
      baseURL,
      ledger,
      maxRetries: 0,
      telemetry: false,
    });
    return client.sdk;
  }
  if (provider === 'openai') {
    const { default: OpenAI } = await import('openai');
    return new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
  }
  if (provider === 'anthropic') {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    return new Anthropic({ apiKey: key, baseURL, maxRetries: 0 });
  }
  const { WebClient } = await import('@slack/web-api');
  return new WebClient(key, { slackApiUrl: baseURL, retryConfig: { retries: 0 } });
}

const calls = {
  'openai-chat': async (sdk) => sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
  'openai-stream': async (sdk) => {
    const stream = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream);
  },
  'anthropic-chat': async (sdk) =>
    sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages }),
  'anthropic-stream': async (sdk) => {
    const stream = await sdk.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 32,
      messages,
      stream: true,
    });
    for await (const _ of stream);
  },
  'slack-post': async (sdk) => sdk.chat.postMessage({ channel: 'C0GENERAL', text: 'benchmark' }),
};

const provider = call.split('-')[0];
const sdk = await makeSdk(provider);
const run = calls[call];
const bench = new Bench({ time: Number(time), warmupTime: Math.min(300, Number(time) / 4) });
bench.add(call, () => run(sdk));
await bench.run();
const result = bench.tasks[0].result;
process.stdout.write(
  JSON.stringify({
    throughput: 1000 / result.period,
    p50: result.latency.p50,
    p99: result.latency.p99,
    samples: result.latency.samplesCount ?? null,
  }),
);
process.exit(0);
