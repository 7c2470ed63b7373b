// Usage: KEYCARD_TEST_KEY=… KEYCARD_HOME=… node [--import …] default-ledger-client.mjs [logger|budget]
// Two OpenAI clients on the default ledger (no `ledger` option), each making a real SDK call
// against the built simulator; prints, as JSON, the replies, the driver of the default ledger
// (for the JSON-lines fallback, its path; or its error) and, with `logger`, what the clients'
// logger received. With `budget`, one client with a budget, and the error createClient threw,
// if any.
const { createClient, defaultLedger, keys } = await import('../../dist/index.js');
const { startSimulator } = await import('../../dist/testing/index.js');

const mode = process.argv[2];
const withLogger = mode === 'logger';
const key = process.env.KEYCARD_TEST_KEY;
const simulator = await startSimulator({ keys: [key] });
if (mode === 'budget') {
  const error = await createClient('openai', keys.literal(key), {
    baseURL: simulator.baseURL('openai'),
    budget: { usd: 1, period: 'day' },
  }).then(
    async (client) => {
      await client.close();
      return undefined;
    },
    (error) => {
      const causes = [];
      for (let cause = error.cause; cause instanceof Error; cause = cause.cause) causes.push(cause.message);
      return { name: error.name, message: error.message, causes };
    },
  );
  await simulator.close();
  process.stdout.write(JSON.stringify({ error }));
  process.exit(0);
}
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
  async (opened) => ({
    ...(opened.driver === undefined ? { path: opened.path } : { driver: opened.driver }),
    requests: (await opened.totals())[0]?.requests ?? 0,
  }),
  (error) => ({ error: error.message }),
);
process.stdout.write(JSON.stringify({ replies, ledger, warnings }));
