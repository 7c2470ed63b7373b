// An n8n community node that calls OpenAI through keycard: the key stays out of logs and errors,
// every call is recorded in the usage ledger, and a bad key gives an error the person running
// the workflow can act on, naming the n8n credential.
// Install: npm i keycard openai (n8n-workflow comes with n8n; see ../../README.md)
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BudgetExceededError, createClient, isCredentialError, keys, type Ledger, openLedger } from 'keycard';
import {
  type IDataObject,
  type IExecuteFunctions,
  type INode,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  type JsonObject,
  NodeApiError,
  NodeConnectionTypes,
  NodeOperationError,
} from 'n8n-workflow';

/** The credential as n8n hands it to the node, decrypted. */
interface Credentials {
  apiKey: string;
  baseUrl?: string;
  ledger?: string;
}

/**
 * One ledger per URL for the whole n8n process: opening one per execution would open a SQLite
 * file or a PostgreSQL pool on every run.
 */
const ledgers = new Map<string, Promise<Ledger>>();
let warnedQueueMode = false;
let warnedLedger = false;

/**
 * The ledger URL: the credential's, else the SQLite file in `KEYCARD_HOME`, else one inside
 * n8n's own folder (`$N8N_USER_FOLDER/.n8n`, `/home/node/.n8n` in the n8n image: the volume),
 * never `~/.keycard`, which a container loses when it is recreated.
 */
function ledgerUrl(credentials: Credentials): string {
  const configured = credentials.ledger?.trim();
  if (configured) return configured;
  const keycardHome = process.env['KEYCARD_HOME']?.trim();
  if (keycardHome) return `sqlite:${join(keycardHome, 'ledger.db')}`;
  const n8nFolder = join(process.env['N8N_USER_FOLDER']?.trim() || homedir(), '.n8n');
  return `sqlite:${join(n8nFolder, 'keycard', 'ledger.db')}`;
}

function openSharedLedger(url: string): Promise<Ledger> {
  let ledger = ledgers.get(url);
  if (ledger === undefined) {
    ledger = openLedger(url);
    ledger.catch(() => ledgers.delete(url)); // the next execution tries again
    ledgers.set(url, ledger);
  }
  return ledger;
}

/** keycard's message ends with its hint; n8n has a field of its own for the hint. */
function withoutHint(message: string, hint: string): string {
  return message.endsWith(hint) ? message.slice(0, -hint.length).trim() : message;
}

/**
 * An n8n error carrying keycard's message and hint: a key problem found by OpenAI's answer is a
 * `NodeApiError` with its HTTP status, one found before any call (missing, malformed, wrong
 * provider) or a budget is a `NodeOperationError`. keycard's errors never hold the key; only
 * plain fields are passed on, never the SDK's error with its request.
 */
function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
  const at = itemIndex === undefined ? {} : { itemIndex };
  if (isCredentialError(error)) {
    // n8n shows the message as the title and the description under it: the hint goes there once.
    const message = withoutHint(error.message, error.hint);
    const details: JsonObject = {
      message,
      reason: error.reason,
      source: error.source ?? null,
      maskedId: error.maskedId ?? null,
    };
    if (error.status !== undefined)
      return new NodeApiError(node, details, {
        message,
        description: error.hint,
        httpCode: String(error.status),
        ...at,
      });
    return new NodeOperationError(node, message, { description: error.hint, ...at });
  }
  if (BudgetExceededError.is(error))
    return new NodeOperationError(node, withoutHint(error.message, error.hint), {
      description: error.hint,
      ...at,
    });
  // Rate limits, 5xx, timeouts: the SDK's own error, already redacted by keycard; anything else
  // (a ledger a budget needs that cannot open, a bad option) is keycard's, without a status.
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number')
    return new NodeApiError(node, { message }, { message, httpCode: String(status), ...at });
  return new NodeOperationError(node, message, at);
}

export class KeycardOpenAi implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'OpenAI (keycard)',
    name: 'keycardOpenAi',
    icon: 'fa:key',
    group: ['transform'],
    version: 1,
    subtitle: '={{ $parameter["model"] }}',
    description: 'Chat with OpenAI; the key is kept out of sight and every call is recorded',
    defaults: { name: 'OpenAI (keycard)' },
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'openAiKeycardApi', required: true }],
    properties: [
      { displayName: 'Model', name: 'model', type: 'string', default: 'gpt-4o-mini', required: true },
      {
        displayName: 'Prompt',
        name: 'prompt',
        type: 'string',
        typeOptions: { rows: 4 },
        default: '={{ $json.text }}',
        required: true,
      },
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          {
            displayName: 'Error Language',
            name: 'language',
            type: 'options',
            options: [
              { name: 'English', value: 'en' },
              { name: 'Korean (한국어)', value: 'ko' },
            ],
            default: 'en',
            description: 'The language of the messages shown when the key or a budget stops the node',
          },
          {
            displayName: 'Monthly Budget (USD)',
            name: 'budgetUsd',
            type: 'number',
            default: 0,
            description:
              'Stop calling OpenAI with this key once this much was spent this month. 0: no budget.',
          },
        ],
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const node = this.getNode();
    const credentials = await this.getCredentials<Credentials>('openAiKeycardApi');
    const options = this.getNodeParameter('options', 0, {}) as { language?: string; budgetUsd?: number };
    // The name the person gave the credential in n8n: every keycard message uses it.
    const credentialName = node.credentials?.['openAiKeycardApi']?.name ?? 'OpenAI (keycard) API';
    const url = ledgerUrl(credentials);
    if (process.env['EXECUTIONS_MODE'] === 'queue' && url.startsWith('sqlite:') && !warnedQueueMode) {
      warnedQueueMode = true;
      this.logger.warn(
        `keycard: n8n runs in queue mode, and each worker records usage to its own SQLite file (${url}). Set a postgres:// Usage Ledger in the credential "${credentialName}" so that usage and budgets are shared.`,
      );
    }

    let client: Awaited<ReturnType<typeof createClient<'openai'>>>;
    try {
      // A ledger that cannot open (no SQLite driver, a read-only volume, PostgreSQL down) does not
      // stop the workflow: the calls go on unrecorded, with one warning. A budget needs it.
      let ledger: Ledger | false = false;
      try {
        ledger = await openSharedLedger(url);
      } catch (error) {
        if (options.budgetUsd) throw error;
        if (!warnedLedger) {
          warnedLedger = true;
          this.logger.warn(
            `keycard: usage is not recorded (the calls still work): ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      client = await createClient(
        'openai',
        keys.literal(credentials.apiKey, { label: `credential "${credentialName}"` }),
        {
          workflow: this.getWorkflow().name ?? `n8n workflow ${this.getWorkflow().id ?? ''}`.trim(),
          ledger,
          logger: this.logger,
          messages: { audience: 'end-user', language: options.language === 'ko' ? 'ko' : 'en' },
          ...(credentials.baseUrl?.trim() ? { baseURL: credentials.baseUrl.trim() } : {}),
          ...(options.budgetUsd ? { budget: { usd: options.budgetUsd, period: 'month' as const } } : {}),
        },
      );
    } catch (error) {
      const nodeError = toNodeError(node, error);
      if (!this.continueOnFail()) throw nodeError;
      return [items.map((_, item) => ({ json: { error: nodeError.message }, pairedItem: { item } }))];
    }

    const output: INodeExecutionData[] = [];
    try {
      for (let item = 0; item < items.length; item++) {
        try {
          const model = this.getNodeParameter('model', item) as string;
          const prompt = this.getNodeParameter('prompt', item) as string;
          const completion = await client.sdk.chat.completions.create({
            model,
            messages: [{ role: 'user', content: prompt }],
          });
          const json: IDataObject = {
            text: completion.choices[0]?.message.content ?? '',
            model: completion.model,
            usage: { ...completion.usage },
            maskedId: client.maskedId,
          };
          output.push({ json, pairedItem: { item } });
        } catch (error) {
          const nodeError = toNodeError(node, error, item);
          if (!this.continueOnFail()) throw nodeError;
          output.push({ json: { error: nodeError.message }, pairedItem: { item } });
        }
      }
    } finally {
      await client.close(); // writes this execution's events; the shared ledger stays open
    }
    return [output];
  }
}
