// Usage: KEYCARD_TEST_KEY=… KEYCARD_HOME=… node [--import …] default-ledger-client.mjs [logger]
// Two OpenAI clients on the default ledger (no `ledger` option), each making a real SDK call
// against the built simulator; prints, as JSON, the replies, the driver of the default ledger
// (or its error) and, with `logger`, what the clients' logger received.
const { createClient, defaultLedger, keys } = await import('../../dist/index.js');
const { startSimulator } = await import('../../dist/testing/index.js');

const withLogger = process.argv[2] === 'logger';
const key = process.env.KEYCARD_TEST_KEY;
const simulator = await startSimulator({ keys: [key] });
const warnings = [];
const logger = { warn: (message) => warnings.push(String(message)), debug: () => undefined };
const replies = [];
try {
  for (let index = 0; index < 2; index += 1) {
    const client = await createClient('openai', keys.literal(key), {
      baseURL: simulator.baseURL('openai'),
      maxRetries: 0,
      ...(withLogger ? { logger } : {}),
    });
    const completion = await client.sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `hello ${index}` }],
    });
    replies.push(completion.choices[0]?.message.content ?? '');
    await client.close();
  }
} finally {
  await simulator.close();
}
const ledger = await defaultLedger().then(
  async (opened) => ({ driver: opened.driver, requests: (await opened.totals())[0]?.requests ?? 0 }),
  (error) => ({ error: error.message }),
);
process.stdout.write(JSON.stringify({ replies, ledger, warnings }));
