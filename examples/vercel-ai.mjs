// The Vercel AI SDK with keycard: `createFetch()` gives `@ai-sdk/openai` a fetch that puts the
// real key on each request (the SDK's `apiKey` is a placeholder), meters every call into the
// ledger and maps a bad key to keycard's CredentialError, found behind the SDK's own error with
// `findKeycardError()`. With OPENAI_API_KEY set it calls OpenAI (2 small requests); otherwise, or
// with --offline, the OpenAI simulator and a made-up key.
// Install: npm i keycard ai@5 @ai-sdk/openai@2
import { createFetch, findKeycardError, isCredentialError, keys, openLedger } from 'keycard';
import { fakeKey, startSimulator } from 'keycard/testing';

// The AI SDK is yours, not keycard's: say what to install when it is missing.
let ai;
let aiOpenAI;
try {
  ai = await import('ai');
  aiOpenAI = await import('@ai-sdk/openai');
} catch {
  // ai 5 with @ai-sdk/openai 2 run on Node 20; their next majors need Node 22.
  console.error('This example needs the Vercel AI SDK: npm i ai@5 @ai-sdk/openai@2');
  process.exit(1);
}

const offline = process.argv.includes('--offline') || !process.env.OPENAI_API_KEY;
const key = offline ? fakeKey('openai') : undefined;
const simulator = offline ? await startSimulator({ keys: [key] }) : undefined;
const ledger = await openLedger('memory:'); // or 'sqlite:./usage.db', 'postgres://…'

const fetch = await createFetch('openai', offline ? keys.literal(key) : keys.env('OPENAI_API_KEY'), {
  ledger,
  workflow: 'vercel-ai-example',
  budget: { usd: 1, period: 'day' },
});
const openai = aiOpenAI.createOpenAI({
  apiKey: 'keycard', // a placeholder: keycard's fetch puts the real key on each request
  fetch,
  ...(offline ? { baseURL: simulator.baseURL('openai') } : {}),
});

try {
  const { text } = await ai.generateText({
    model: openai('gpt-4o-mini'),
    prompt: 'Say hello in five words.',
  });
  console.log(`generateText: ${text}`);

  const stream = ai.streamText({ model: openai('gpt-4o-mini'), prompt: 'Count to three.' });
  let streamed = '';
  for await (const part of stream.textStream) streamed += part;
  console.log(`streamText: ${streamed}`);

  await ledger.flush();
  const [row] = await ledger.totals();
  console.log(
    `ledger: ${row.requests} requests, ${row.inputTokens} input and ${row.outputTokens} output tokens, $${row.costUsd.toFixed(6)}, key ${fetch.maskedId}`,
  );

  if (offline) {
    // A key revoked at the provider: the AI SDK throws its APICallError (not retried), and
    // keycard's CredentialError is behind it.
    simulator.revokeKey(key);
    try {
      await ai.generateText({ model: openai('gpt-4o-mini'), prompt: 'Hello?' });
    } catch (error) {
      const problem = findKeycardError(error);
      if (!isCredentialError(problem)) throw error;
      console.log(`${error.name} ${error.statusCode}; keycard: ${problem.reason} (${problem.maskedId})`);
      console.log(`hint: ${problem.hint}`);
    }
  }
} finally {
  await fetch.close();
  await ledger.close();
  await simulator?.close();
}
