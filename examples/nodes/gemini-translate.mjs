/**
 * A workflow node: translate a text with Google Gemini.
 *
 * config: { key: 'env:GEMINI_API_KEY' (any key source spec), language?: 'French',
 *           model?: 'gemini-2.0-flash', workflow?, baseURL?, ledger? }
 * input:  the text
 * output: { translation, maskedId }
 *
 * Run it for real: GEMINI_API_KEY=… node examples/nodes/gemini-translate.mjs "Good morning"
 */
import { pathToFileURL } from 'node:url';
import { createClient } from 'keycard';

export async function run(config, input) {
  const client = await createClient('gemini', config.key, {
    workflow: config.workflow ?? 'translate',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    const model = client.sdk.getGenerativeModel({ model: config.model ?? 'gemini-2.0-flash' });
    const result = await model.generateContent(`Translate into ${config.language ?? 'French'}: ${input}`);
    return { translation: result.response.text(), maskedId: client.maskedId };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await run({ key: 'env:' }, process.argv[2] ?? 'Good morning'));
}
