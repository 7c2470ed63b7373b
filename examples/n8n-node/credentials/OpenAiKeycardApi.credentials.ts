// An n8n credential type for the keycard OpenAI node.
// Install: npm i keycard openai (n8n-workflow comes with n8n; see ../README.md)
import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The API key, and where keycard records usage. n8n encrypts credentials at rest and never shows
 * a password field again, so a PostgreSQL URL with its password belongs here too.
 */
export class OpenAiKeycardApi implements ICredentialType {
  name = 'openAiKeycardApi';
  displayName = 'OpenAI (keycard) API';
  documentationUrl = 'https://platform.openai.com/api-keys';
  properties: INodeProperties[] = [
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
    },
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: '',
      placeholder: 'https://api.openai.com/v1',
      description: 'Leave empty for OpenAI. A proxy or gateway URL otherwise.',
    },
    {
      displayName: 'Usage Ledger',
      name: 'ledger',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      placeholder: 'postgres://keycard@db:5432/n8n?schema=keycard',
      description:
        'Where keycard records each call. Empty: a SQLite file in KEYCARD_HOME, else in the n8n folder (~/.n8n/keycard). In queue mode, a postgres:// URL shared by every worker.',
    },
  ];
}
