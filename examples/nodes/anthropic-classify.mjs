/**
 * A workflow node: classify a text with Anthropic.
 *
 * config: { key: 'env:ANTHROPIC_API_KEY' (any key source spec), labels?: string[],
 *           model?: 'claude-haiku-4-5', workflow?, baseURL?, ledger? }
 * input:  the text
 * output: { label, maskedId }
 *
 * Install: npm i keycard @anthropic-ai/sdk
 * Run it for real: ANTHROPIC_API_KEY=… node examples/nodes/anthropic-classify.mjs "text"
 * Run it offline:  node examples/nodes/anthropic-classify.mjs "text"  (ANTHROPIC_API_KEY unset: the Anthropic
 *                  simulator from keycard/testing and a made-up key; no network)
 */
import { pathToFileURL } from 'node:url';
import { createClient, keys } from 'keycard';

export async function run(config, input) {
  const labels = config.labels ?? ['urgent', 'routine'];
  const client = await createClient('anthropic', config.key, {
    workflow: config.workflow ?? 'classify',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    const message = await client.sdk.messages.create({
      model: config.model ?? 'claude-haiku-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: `Answer with one word from ${labels.join(', ')}. Text: ${input}` }],
    });
    const text = message.content.find((block) => block.type === 'text')?.text ?? '';
    return {
      label: labels.find((label) => text.toLowerCase().includes(label)) ?? text.trim(),
      maskedId: client.maskedId,
    };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const input = process.argv[2] ?? 'The server is down!';
  if (process.env.ANTHROPIC_API_KEY) {
    console.log(await run({ key: 'env:ANTHROPIC_API_KEY' }, input));
  } else {
    // No key set: the Anthropic simulator and a made-up key, offline.
    const { fakeKey, startSimulator } = await import('keycard/testing');
    const key = fakeKey('anthropic');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const config = { key: keys.literal(key), baseURL: simulator.baseURL('anthropic'), ledger: false };
      console.log(await run({ ...config }, input));
    } finally {
      await simulator.close();
    }
  }
}
