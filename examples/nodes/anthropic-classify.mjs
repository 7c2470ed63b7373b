/**
 * A workflow node: classify a text with Anthropic.
 *
 * config: { key: 'env:ANTHROPIC_API_KEY' (any key source spec), labels?: string[],
 *           model?: 'claude-haiku-4-5', workflow?, baseURL?, ledger? }
 * input:  the text
 * output: { label, maskedId }
 *
 * Run it for real: ANTHROPIC_API_KEY=… node examples/nodes/anthropic-classify.mjs "text"
 */
import { pathToFileURL } from 'node:url';
import { createClient } from 'keycard';

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
  console.log(await run({ key: 'env:ANTHROPIC_API_KEY' }, process.argv[2] ?? 'The server is down!'));
}
