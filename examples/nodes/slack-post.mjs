/**
 * A workflow node: post a message to a Slack channel.
 *
 * config: { key: 'env:SLACK_BOT_TOKEN' (any key source spec), channel: 'C0123…' or '#general',
 *           workflow?, baseURL?, ledger? }
 * input:  the message text
 * output: { ts, channel, maskedId }
 *
 * Run it for real: SLACK_BOT_TOKEN=… node examples/nodes/slack-post.mjs C0123456 "hello"
 */
import { pathToFileURL } from 'node:url';
import { createClient } from 'keycard';

export async function run(config, input) {
  const client = await createClient('slack', config.key, {
    workflow: config.workflow ?? 'post',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    const result = await client.sdk.chat.postMessage({ channel: config.channel, text: input });
    return { ts: result.ts, channel: result.channel, maskedId: client.maskedId };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(
    await run(
      { key: 'env:SLACK_BOT_TOKEN', channel: process.argv[2] },
      process.argv[3] ?? 'Hello from keycard',
    ),
  );
}
