// A process in which every debug channel of an SDK is on (DEBUG=*, OPENAI_LOG=debug,
// ANTHROPIC_LOG=debug, Slack's logLevel DEBUG), driven through a success and key failures, behind
// a proxy that makes every error answer quote what the request carried (its path, where Telegram
// has the token, and its credential headers), as some servers do. argv[2]: the provider; the key
// comes in CANARY_KEY; argv[3] `guard` installs keycard's output guard first (for NODE_DEBUG,
// which Node itself prints). Everything goes to stdout and stderr, which the test reads.
import { createServer, request } from 'node:http';
import { createClient, installRedaction, keys, Secret } from '../../dist/index.js';
import { startSimulator } from '../../dist/testing/index.js';

const provider = process.argv[2];
// A client of another SDK takes its provider's keys and simulator.
const keyProvider = provider === 'google-genai' ? 'gemini' : provider;
const key = process.env.CANARY_KEY;
if (process.argv[3] === 'guard') {
  installRedaction();
  // Registered before the simulator reads it: the guard redacts what it knows.
  new Secret(key, { provider: keyProvider });
}
const simulator = await startSimulator({ keys: [key] });

const echo = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const upstream = new URL(simulator.url);
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const body = [];
        answer.on('data', (chunk) => body.push(chunk));
        answer.on('end', () => {
          let text = Buffer.concat(body).toString('utf8');
          const status = answer.statusCode ?? 502;
          if (status >= 400) {
            const carried = [
              req.url,
              req.headers.authorization,
              req.headers['x-api-key'],
              req.headers['x-goog-api-key'],
            ]
              .filter(Boolean)
              .join(' ');
            try {
              const json = JSON.parse(text);
              if (typeof json.description === 'string') json.description += ` (request: ${carried})`;
              json.echo = `request: ${carried}`;
              text = JSON.stringify(json);
            } catch {
              // not JSON: left as it is
            }
          }
          const headers = { ...answer.headers };
          delete headers['content-length'];
          res.writeHead(status, headers);
          res.end(text);
        });
      },
    );
    out.on('error', () => res.destroy());
    out.end(Buffer.concat(chunks));
  });
});
await new Promise((resolve) => echo.listen(0, '127.0.0.1', resolve));
const base = simulator.baseURL(keyProvider).replace(simulator.url, `http://127.0.0.1:${echo.address().port}`);

const client = await createClient(provider, keys.literal(key), {
  baseURL: base,
  maxRetries: 0,
  ledger: false,
  ...(provider === 'slack' ? { sdkOptions: { logLevel: 'debug' } } : {}),
});
const messages = [{ role: 'user', content: 'hi' }];
const calls = {
  openai: (sdk) => sdk.chat.completions.create({ model: 'gpt-4o-mini', messages }),
  xai: (sdk) => sdk.chat.completions.create({ model: 'grok-3-mini', messages }),
  groq: (sdk) => sdk.chat.completions.create({ model: 'llama-3.1-8b-instant', messages }),
  openrouter: (sdk) => sdk.chat.completions.create({ model: 'openai/gpt-4o-mini', messages }),
  deepseek: (sdk) => sdk.chat.completions.create({ model: 'deepseek-chat', messages }),
  together: (sdk) =>
    sdk.chat.completions.create({ model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages }),
  mistral: (sdk) => sdk.chat.completions.create({ model: 'mistral-small-latest', messages }),
  anthropic: (sdk) => sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages }),
  gemini: (sdk) => sdk.getGenerativeModel({ model: 'gemini-2.5-flash' }).startChat().sendMessage('hi'),
  'google-genai': (sdk) => sdk.chats.create({ model: 'gemini-2.5-flash' }).sendMessage({ message: 'hi' }),
  slack: (sdk) => sdk.chat.postMessage({ channel: 'C1', text: 'hi' }),
  telegram: (sdk) => sdk.sendMessage(42, 'hi'),
  discord: (sdk) => sdk.post('/channels/1100000000000000009/messages', { body: { content: 'hi' } }),
};
// @discordjs/rest has no debug switch: its debug channel is the `restDebug` event (and
// `response`, which hands the request as the SDK built it).
if (provider === 'discord') {
  client.sdk.on('restDebug', (line) => console.error(`[restDebug] ${line}`));
  client.sdk.on('response', (request, response) => console.error('[response]', request, response.status));
}
const call = () => calls[provider](client.sdk);
await call();
for (const fault of ['unauthorized', 'forbidden', 'server_error']) {
  simulator.failNext(fault);
  try {
    await call();
  } catch (error) {
    console.error('caught', error);
  }
}
await client.close();
await simulator.close();
echo.close();
console.log('debug child done');
