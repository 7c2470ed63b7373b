// pino logging: keycard writes one debug line per call to your pino logger, and
// `pinoRedaction()` makes pino redact every line it writes, so a key logged by mistake (even
// inside an error) is replaced by its masked id. With ANTHROPIC_API_KEY set it calls Anthropic;
// otherwise, or with --offline, the simulator and a made-up key.
// Install: npm i keycard @anthropic-ai/sdk pino
import { createClient, keys } from 'keycard';
import { pinoRedaction } from 'keycard/pino';
import { fakeKey, startSimulator } from 'keycard/testing';
import pino from 'pino';

const offline = process.argv.includes('--offline') || !process.env.ANTHROPIC_API_KEY;
const key = offline ? fakeKey('anthropic') : process.env.ANTHROPIC_API_KEY;
const simulator = offline ? await startSimulator({ keys: [key] }) : undefined;
const logger = pino(pinoRedaction({ level: 'debug', base: undefined, timestamp: false }));

const anthropic = await createClient(
  'anthropic',
  offline ? keys.literal(key) : keys.env('ANTHROPIC_API_KEY'),
  {
    ...(offline ? { baseURL: simulator.baseURL('anthropic') } : {}),
    logger,
    ledger: false,
  },
);
try {
  await anthropic.sdk.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hi' }],
  });
  // A mistake: the key in a log line and in an error. pino prints it redacted.
  logger.warn({ config: { apiKey: key } }, `connecting with ${key}`);
  logger.error({ err: new Error(`request failed for ${key}`) }, 'call failed');
} finally {
  await anthropic.close();
  await simulator?.close();
}
