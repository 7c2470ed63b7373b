/**
 * A workflow node: send a Telegram message from a bot.
 *
 * config: { key: 'env:TELEGRAM_BOT_TOKEN' (any key source spec), chatId: number | string,
 *           workflow?, baseURL?, ledger? }
 * input:  the message text
 * output: { messageId, maskedId }
 *
 * Install: npm i keycard telegraf
 * Run it for real: TELEGRAM_BOT_TOKEN=… node examples/nodes/telegram-notify.mjs 123456789 "hello"
 * Run it offline:  node examples/nodes/telegram-notify.mjs  (TELEGRAM_BOT_TOKEN unset: the Telegram
 *                  simulator from keycard/testing and a made-up key; no network)
 */
import { pathToFileURL } from 'node:url';
import { createClient, keys } from 'keycard';

export async function run(config, input) {
  const client = await createClient('telegram', config.key, {
    workflow: config.workflow ?? 'notify',
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    ...(config.ledger !== undefined ? { ledger: config.ledger } : {}),
  });
  try {
    const message = await client.sdk.sendMessage(config.chatId, input);
    return { messageId: message.message_id, maskedId: client.maskedId };
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const input = process.argv[3] ?? 'Hello from keycard';
  if (process.env.TELEGRAM_BOT_TOKEN) {
    console.log(await run({ key: 'env:TELEGRAM_BOT_TOKEN', chatId: process.argv[2] }, input));
  } else {
    // No key set: the Telegram simulator and a made-up key, offline.
    const { fakeKey, startSimulator } = await import('keycard/testing');
    const key = fakeKey('telegram');
    const simulator = await startSimulator({ keys: [key] });
    try {
      const config = { key: keys.literal(key), baseURL: simulator.baseURL('telegram'), ledger: false };
      console.log(await run({ ...config, chatId: process.argv[2] ?? 42 }, input));
    } finally {
      await simulator.close();
    }
  }
}
