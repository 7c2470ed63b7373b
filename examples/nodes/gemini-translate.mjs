/**
 * A workflow node: translate a text with Google Gemini, through Google's current SDK, @google/genai
 * (createClient('google-genai'); the deprecated @google/generative-ai is createClient('gemini')).
 *
 * config: { key: 'env:GEMINI_API_KEY' (any key source spec), language?: 'French',
 *           model?: 'gemini-2.0-flash', workflow?, baseURL?, ledger? }
 * input:  the text
 * output: { translation, maskedId }
 *
 * Install: npm i keycard @google/genai@2
 * Run it for real: GEMINI_API_KEY=… node examples/nodes/gemini-translate.mjs "Good morning"
 * Run it offline:  node examples/nodes/gemini-translate.mjs "Good morning"  (GEMINI_API_KEY or GOOGLE_API_KEY unset: the Gemini
 *                  simulator from keycard/testing and a made-up key; no network)
 */
import { pathToFileURL } from 'node:url';
import { createClient, keys } from 'keycard';

export async function run(config, input) {
  const client = await createClient('google-genai', config.key, {
    workflow: config.workflow ?? 'translate',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    const result = await client.sdk.models.generateContent({
      model: config.model ?? 'gemini-2.0-flash',
      contents: `Translate into ${config.language ?? 'French'}: ${input}`,
    });
    return { translation: result.text, maskedId: client.maskedId };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const input = process.argv[2] ?? 'Good morning';
  if (process.env.GEMINI_API_KEY || process.env.GOOGLE_API_KEY) {
    console.log(await run({ key: 'env:' }, input));
  } else {
    // No key set: the Gemini simulator (it serves both Gemini clients) and a made-up key, offline.
    const { fakeKey, startSimulator } = await import('keycard/testing');
    const key = fakeKey('gemini');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const config = { key: keys.literal(key), baseURL: simulator.baseURL('gemini'), ledger: false };
      console.log(await run({ ...config }, input));
    } finally {
      await simulator.close();
    }
  }
}
