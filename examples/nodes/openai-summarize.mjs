/**
 * A workflow node: summarise a text with OpenAI.
 *
 * config: { key: 'env:OPENAI_API_KEY' (any key source spec), model?: 'gpt-4o-mini',
 *           workflow?: string, baseURL?: string (a proxy or the simulator), ledger? }
 * input:  the text
 * output: { summary, maskedId }
 *
 * A bad key rejects with a CredentialError: show `error.message` (it holds the hint) to the user.
 * Install: npm i keycard openai
 * Run it for real: OPENAI_API_KEY=… node examples/nodes/openai-summarize.mjs "some long text"
 * Run it offline:  node examples/nodes/openai-summarize.mjs "some long text"  (OPENAI_API_KEY unset: the OpenAI
 *                  simulator from keycard/testing and a made-up key; no network)
 */
import { pathToFileURL } from 'node:url';
import { createClient, keys } from 'keycard';

export async function run(config, input) {
  const client = await createClient('openai', config.key, {
    workflow: config.workflow ?? 'summarize',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    const completion = await client.sdk.chat.completions.create({
      model: config.model ?? 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Summarise the text in one sentence.' },
        { role: 'user', content: input },
      ],
    });
    return { summary: completion.choices[0]?.message.content ?? '', maskedId: client.maskedId };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const input = process.argv[2] ?? 'keycard keeps API keys out of sight.';
  if (process.env.OPENAI_API_KEY) {
    console.log(await run({ key: 'env:OPENAI_API_KEY' }, input));
  } else {
    // No key set: the OpenAI simulator and a made-up key, offline.
    const { fakeKey, startSimulator } = await import('keycard/testing');
    const key = fakeKey('openai');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const config = { key: keys.literal(key), baseURL: simulator.baseURL('openai'), ledger: false };
      console.log(await run({ ...config }, input));
    } finally {
      await simulator.close();
    }
  }
}
