// One cold start, in a fresh process. argv: what (keycard-import | keycard-client | keycard-client-noledger | openai-client), key.
// Prints milliseconds from before the first import to a ready client.
const [what, key] = process.argv.slice(2);
const started = performance.now();
if (what === 'keycard-import') {
  await import('../dist/index.js');
} else if (what === 'openai-client') {
  const { default: OpenAI } = await import('openai');
  new OpenAI({ apiKey: key });
} else {
  const { createClient, keys } = await import('../dist/index.js');
  await createClient(
    'openai',
    keys.literal(key),
    what === 'keycard-client-noledger' ? { ledger: false, telemetry: false } : {},
  );
}
process.stdout.write(String(performance.now() - started));
process.exit(0);
