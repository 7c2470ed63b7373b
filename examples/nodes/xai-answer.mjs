/**
 * A workflow node: answer a question with xAI's Grok (through the OpenAI SDK).
 *
 * config: { key: 'env:XAI_API_KEY' (any key source spec), model?: 'grok-3-mini', workflow?, baseURL?, ledger? }
 * input:  the question
 * output: { answer, maskedId }
 *
 * Install: npm i keycard openai
 * Run it for real: XAI_API_KEY=… node examples/nodes/xai-answer.mjs "What is an API key?"
 * Run it offline:  node examples/nodes/xai-answer.mjs "What is an API key?"  (XAI_API_KEY unset: the xAI
 *                  simulator from keycard/testing and a made-up key; no network)
 */
import { pathToFileURL } from 'node:url';
import { createClient, keys } from 'keycard';

export async function run(config, input) {
  const client = await createClient('xai', config.key, {
    workflow: config.workflow ?? 'answer',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    const completion = await client.sdk.chat.completions.create({
      model: config.model ?? 'grok-3-mini',
      messages: [{ role: 'user', content: input }],
    });
    return { answer: completion.choices[0]?.message.content ?? '', maskedId: client.maskedId };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const input = process.argv[2] ?? 'What is an API key?';
  if (process.env.XAI_API_KEY) {
    console.log(await run({ key: 'env:XAI_API_KEY' }, input));
  } else {
    // No key set: the xAI simulator and a made-up key, offline.
    const { fakeKey, startSimulator } = await import('keycard/testing');
    const key = fakeKey('xai');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const config = { key: keys.literal(key), baseURL: simulator.baseURL('xai'), ledger: false };
      console.log(await run({ ...config }, input));
    } finally {
      await simulator.close();
    }
  }
}
