/**
 * A workflow node: post a message to a Slack channel.
 *
 * config: { key: 'env:SLACK_BOT_TOKEN' (any key source spec), channel: 'C0123…' or '#general',
 *           workflow?, baseURL?, ledger? }
 * input:  the message text
 * output: { ts, channel, maskedId }
 *
 * Install: npm i keycard @slack/web-api
 * Run it for real: SLACK_BOT_TOKEN=… node examples/nodes/slack-post.mjs C0123456 "hello"
 * Run it offline:  node examples/nodes/slack-post.mjs  (SLACK_BOT_TOKEN unset: the Slack
 *                  simulator from keycard/testing and a made-up key; no network)
 */
import { pathToFileURL } from 'node:url';
import { createClient, keys } from 'keycard';

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
  const input = process.argv[3] ?? 'Hello from keycard';
  if (process.env.SLACK_BOT_TOKEN) {
    console.log(await run({ key: 'env:SLACK_BOT_TOKEN', channel: process.argv[2] }, input));
  } else {
    // No key set: the Slack simulator and a made-up key, offline.
    const { fakeKey, startSimulator } = await import('keycard/testing');
    const key = fakeKey('slack');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const config = { key: keys.literal(key), baseURL: simulator.baseURL('slack'), ledger: false };
      console.log(await run({ ...config, channel: process.argv[2] ?? 'C0GENERAL' }, input));
    } finally {
      await simulator.close();
    }
  }
}
