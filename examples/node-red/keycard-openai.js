// A Node-RED node that calls OpenAI through keycard: the key (a password credential of the node)
// stays out of logs, status and errors, every call is recorded in the usage ledger, and a bad
// key gives an error the person running the flow can act on, naming the node.
// Install: npm i keycard openai

const { join } = require('node:path');
const { BudgetExceededError, createClient, isCredentialError, keys, openLedger } = require('keycard');

/** One ledger per URL for the whole Node-RED process, shared by every node. */
const ledgers = new Map();

/**
 * The ledger URL: the node's, else the SQLite file in KEYCARD_HOME, else one inside Node-RED's
 * userDir (~/.node-red, /data in the Node-RED image: the volume), never ~/.keycard.
 */
function ledgerUrl(RED, config) {
  if (config.ledger?.trim()) return config.ledger.trim();
  const keycardHome = (process.env.KEYCARD_HOME || '').trim();
  if (keycardHome) return `sqlite:${join(keycardHome, 'ledger.db')}`;
  return `sqlite:${join(RED.settings.userDir, 'keycard', 'ledger.db')}`;
}

function openSharedLedger(url) {
  let ledger = ledgers.get(url);
  if (ledger === undefined) {
    ledger = openLedger(url);
    ledger.catch(() => ledgers.delete(url)); // the next message tries again
    ledgers.set(url, ledger);
  }
  return ledger;
}

/** keycard's message ends with its hint: the status shows the message, the debug sidebar both. */
function withoutHint(message, hint) {
  return hint && message.endsWith(hint) ? message.slice(0, -hint.length).trim() : message;
}

module.exports = (RED) => {
  function KeycardOpenAiNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const label = `node "${config.name || 'keycard openai'}"`;
    let client; // made on the first message, kept until the flow is redeployed

    function connect() {
      if (client === undefined) {
        const apiKey = node.credentials?.apiKey ?? '';
        // A ledger that cannot open (no SQLite driver, a read-only volume, PostgreSQL down) does
        // not stop the flow: the calls go on unrecorded, with a warning.
        const opened = openSharedLedger(ledgerUrl(RED, config)).catch((error) => {
          node.warn(`keycard: usage is not recorded (the calls still work): ${error.message}`);
          return false;
        });
        client = opened.then((ledger) =>
          createClient('openai', keys.literal(apiKey, { label }), {
            workflow: config.workflow || (node.z ? `node-red flow ${node.z}` : undefined),
            ledger,
            logger: {
              debug: (line) => node.debug(line),
              warn: (line) => node.warn(line),
              error: (line) => node.error(line),
            },
            messages: { audience: 'end-user', language: config.language === 'ko' ? 'ko' : 'en' },
            ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
          }),
        );
        client.catch(() => {
          client = undefined; // a fixed key is read again on the next message
        });
      }
      return client;
    }

    node.on('input', async (msg, send, done) => {
      node.status({ fill: 'blue', shape: 'dot', text: 'calling OpenAI' });
      try {
        const openai = await connect();
        const completion = await openai.sdk.chat.completions.create({
          model: config.model || 'gpt-4o-mini',
          messages: [{ role: 'user', content: String(msg.payload) }],
        });
        msg.payload = completion.choices[0]?.message.content ?? '';
        msg.keycard = { model: completion.model, usage: completion.usage, maskedId: openai.maskedId };
        node.status({});
        send(msg);
        done();
      } catch (error) {
        if (isCredentialError(error) || BudgetExceededError.is(error)) {
          const message = withoutHint(error.message, error.hint);
          node.status({ fill: 'red', shape: 'ring', text: message.slice(0, 60) });
          // Catch nodes get msg.error: keycard's message and hint, and the reason; never the key.
          done(Object.assign(new Error(`${message} ${error.hint}`), { reason: error.reason }));
        } else {
          // Rate limits, 5xx, timeouts: the SDK's error, already redacted by keycard.
          node.status({ fill: 'red', shape: 'ring', text: 'OpenAI call failed' });
          done(error);
        }
      }
    });

    node.on('close', (_removed, done) => {
      const closing = client;
      client = undefined;
      if (closing === undefined) return done();
      closing
        .then((openai) => openai.close()) // writes the last events; the shared ledger stays open
        .catch(() => {})
        .then(() => done());
    });
  }

  RED.nodes.registerType('keycard-openai', KeycardOpenAiNode, {
    credentials: { apiKey: { type: 'password' } },
  });
};
