// A plain Node script: triage an email across providers with keycard's workflow nodes (the files
// in ./nodes beside it: copy the folder).
// Install: npm i keycard openai @anthropic-ai/sdk @google/genai@2 @slack/web-api
//
//   node examples/script.mjs            real services when OPENAI_API_KEY, ANTHROPIC_API_KEY,
//                                       GEMINI_API_KEY and SLACK_BOT_TOKEN (+ SLACK_CHANNEL) are set;
//                                       otherwise local simulators and made-up keys: no network
//   node examples/script.mjs --offline  the simulators, even with the keys set
import { memoryLedger } from 'keycard';
import { fakeKey, startSimulator } from 'keycard/testing';
import { run as classify } from './nodes/anthropic-classify.mjs';
import { run as translate } from './nodes/gemini-translate.mjs';
import { run as summarize } from './nodes/openai-summarize.mjs';
import { run as post } from './nodes/slack-post.mjs';

const KEY_VARIABLES = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'SLACK_BOT_TOKEN'];
const offline =
  process.argv.includes('--offline') ||
  process.env.KEYCARD_EXAMPLE_OFFLINE === '1' ||
  KEY_VARIABLES.some((name) => !process.env[name]);
const ledger = memoryLedger();
let simulator;
const base = {};
if (offline) {
  const made = {
    openai: fakeKey('openai'),
    anthropic: fakeKey('anthropic'),
    gemini: fakeKey('gemini'),
    slack: fakeKey('slack'),
  };
  simulator = await startSimulator({ keys: Object.values(made) });
  process.env.OPENAI_API_KEY = made.openai;
  process.env.ANTHROPIC_API_KEY = made.anthropic;
  process.env.GEMINI_API_KEY = made.gemini;
  process.env.SLACK_BOT_TOKEN = made.slack;
  process.env.SLACK_CHANNEL ??= 'C0GENERAL';
  for (const provider of Object.keys(made)) base[provider] = simulator.baseURL(provider);
}

const email = 'The invoice for October is overdue; please pay by Friday or the account will be suspended.';
try {
  const { summary } = await summarize(
    { key: 'env:OPENAI_API_KEY', baseURL: base.openai, ledger, workflow: 'triage' },
    email,
  );
  const { label } = await classify(
    { key: 'env:ANTHROPIC_API_KEY', baseURL: base.anthropic, ledger, workflow: 'triage' },
    email,
  );
  const { translation } = await translate(
    { key: 'env:GEMINI_API_KEY', baseURL: base.gemini, ledger, workflow: 'triage' },
    summary,
  );
  const { ts } = await post(
    {
      key: 'env:SLACK_BOT_TOKEN',
      channel: process.env.SLACK_CHANNEL,
      baseURL: base.slack,
      ledger,
      workflow: 'triage',
    },
    `[${label}] ${summary}`,
  );
  console.log({ summary, label, translation, slackMessage: ts });
  for (const row of await ledger.totals({ by: ['provider'] })) {
    console.log(
      `${row.provider}: ${row.requests} request(s), ${row.inputTokens} in, ${row.outputTokens} out, $${(row.costUsd ?? 0).toFixed(6)}`,
    );
  }
} finally {
  await simulator?.close();
}
