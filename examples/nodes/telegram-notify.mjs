/**
 * A workflow node: send a Telegram message from a bot.
 *
 * config: { key: 'env:TELEGRAM_BOT_TOKEN' (any key source spec), chatId: number | string,
 *           workflow?, baseURL?, ledger? }
 * input:  the message text
 * output: { messageId, maskedId }
 *
 * Run it for real: TELEGRAM_BOT_TOKEN=… node examples/nodes/telegram-notify.mjs 123456789 "hello"
 */
import { pathToFileURL } from 'node:url';
import { createClient } from 'keycard';

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
  console.log(
    await run(
      { key: 'env:TELEGRAM_BOT_TOKEN', chatId: process.argv[2] },
      process.argv[3] ?? 'Hello from keycard',
    ),
  );
}
