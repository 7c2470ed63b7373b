/**
 * A workflow node: post a message to a Discord channel as a bot.
 *
 * config: { key: 'env:DISCORD_BOT_TOKEN' (any key source spec), channelId: '1100…' (a channel's
 *           id: Developer Mode, right-click the channel, Copy Channel ID), workflow?, baseURL?,
 *           ledger? }
 * input:  the message text (2,000 characters at most)
 * output: { messageId, channelId, maskedId }
 *
 * The bot must be in the channel's server and may Send Messages there (and View Channel);
 * otherwise the call fails with a CredentialError whose hint says which permission it needs.
 *
 * Install: npm i keycard @discordjs/rest
 * Run it for real: DISCORD_BOT_TOKEN=… node examples/nodes/discord-post.mjs 1100000000000000009 "hello"
 * Run it offline:  node examples/nodes/discord-post.mjs  (DISCORD_BOT_TOKEN unset: the Discord
 *                  simulator from keycard/testing and a made-up token; no network)
 */
import { pathToFileURL } from 'node:url';
import { createClient, keys } from 'keycard';

export async function run(config, input) {
  const client = await createClient('discord', config.key, {
    workflow: config.workflow ?? 'post',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    // The REST client of @discordjs/rest: any route of Discord's HTTP API.
    const message = await client.sdk.post(`/channels/${config.channelId}/messages`, {
      body: { content: input },
    });
    return { messageId: message.id, channelId: message.channel_id, maskedId: client.maskedId };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const input = process.argv[3] ?? 'Hello from keycard';
  if (process.env.DISCORD_BOT_TOKEN) {
    console.log(await run({ key: 'env:DISCORD_BOT_TOKEN', channelId: process.argv[2] }, input));
  } else {
    // No token set: the Discord simulator and a made-up token, offline.
    const { fakeKey, startSimulator } = await import('keycard/testing');
    const key = fakeKey('discord');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const config = { key: keys.literal(key), baseURL: simulator.baseURL('discord'), ledger: false };
      console.log(await run({ ...config, channelId: process.argv[2] ?? '1100000000000000009' }, input));
    } finally {
      await simulator.close();
    }
  }
}
