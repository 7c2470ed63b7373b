// A process for the guard and fatal-error tests. argv[2]: the mode; the key comes in GUARD_KEY.
import { createClient, installRedaction, keys, Secret } from '../../dist/index.js';
import { startSimulator } from '../../dist/testing/index.js';

const mode = process.argv[2];
const key = process.env.GUARD_KEY;

if (mode === 'guard') {
  installRedaction();
  new Secret(key, { provider: 'openai' });
  console.log('object', { config: { apiKey: key } });
  console.error(new Error(`failed with ${key}`));
  process.stdout.write(`raw write ${key}\n`);
  process.stderr.write(Buffer.from(`bytes ${encodeURIComponent(key)}\n`));
  // A key keycard never saw, recognised by its shape.
  console.log('shape', process.env.GUARD_OTHER_KEY);
} else if (mode === 'fatal') {
  installRedaction({ fatalErrors: true });
  setTimeout(() => {
    throw new Error(`unexpected ${process.env.GUARD_OTHER_KEY}`);
  }, 1);
} else if (mode === 'unhandled') {
  // No guard: a rejected SDK call left unhandled is printed by Node itself.
  const provider = process.argv[3];
  const simulator = await startSimulator({ keys: [] });
  const client = await createClient(provider, keys.literal(key), {
    // A client of another SDK takes its provider's simulator.
    baseURL: simulator.baseURL(provider === 'google-genai' ? 'gemini' : provider),
    maxRetries: 0,
    ledger: false,
    checkKeyShape: false,
  });
  process.on('exit', () => simulator.close());
  const calls = {
    openai: (sdk) => sdk.models.list(),
    xai: (sdk) => sdk.models.list(),
    groq: (sdk) => sdk.models.list(),
    openrouter: (sdk) => sdk.models.list(),
    deepseek: (sdk) => sdk.models.list(),
    together: (sdk) => sdk.models.list(),
    mistral: (sdk) => sdk.models.list(),
    anthropic: (sdk) => sdk.models.list(),
    gemini: (sdk) => sdk.getGenerativeModel({ model: 'gemini-2.0-flash' }).generateContent('hi'),
    'google-genai': (sdk) => sdk.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' }),
    slack: (sdk) => sdk.auth.test(),
    telegram: (sdk) => sdk.getMe(),
    discord: (sdk) => sdk.get('/users/@me'),
  };
  calls[provider](client.sdk);
  setTimeout(() => {}, 5000);
}
