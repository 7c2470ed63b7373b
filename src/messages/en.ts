/**
 * English. For developers keycard keeps the detailed text written where each error is raised;
 * for the person running a workflow, these say which credential to fix and where, without code.
 * @module
 */
import { PROVIDERS } from '../providers/ids.js';
import { englishWords } from './providers.js';
import type { BudgetFacts, CredentialFacts, Message, MessageCatalog } from './types.js';

function credentialForEndUser(facts: CredentialFacts): Message {
  const service = facts.provider === undefined ? 'the service' : PROVIDERS[facts.provider].label;
  const words = facts.provider === undefined ? undefined : englishWords(facts.provider);
  const key = words?.key ?? 'key';
  const where = facts.source === undefined ? `the ${service} credential` : facts.source;
  const newKey =
    words === undefined ? `Get a new ${key} from ${service}` : `Get a new ${key} from ${words.newKeyAt}`;
  switch (facts.reason) {
    case 'missing':
      return {
        message: `No ${service} ${key} is set in ${where}.`,
        hint: `${newKey} and save it in ${where}.`,
      };
    case 'malformed':
      return {
        message: `What is saved in ${where} is not a complete ${service} ${key}.`,
        hint: `Copy the whole ${key} again, with nothing before or after it, and save it in ${where}.`,
      };
    case 'wrong_provider':
      return {
        message: `${where} holds a key for another service, not ${/^[AEIOU]/i.test(service) ? 'an' : 'a'} ${service} ${key}.`,
        hint: `Save the ${service} ${key} in ${where}, or pick the credential of the right service.`,
      };
    case 'unauthorized':
      return {
        message: `${service} did not accept the ${key} in ${where}: it is wrong, was revoked or has expired.`,
        hint: `${newKey}, save it in ${where}, and run the workflow again.`,
      };
    case 'forbidden':
      return {
        message: `The ${service} ${key} in ${where} works, but may not do this (a missing permission or model access).`,
        hint: `Ask whoever manages the ${service} account to give the key this permission, or use a key that has it.`,
      };
    case 'quota_exceeded':
      return {
        message: `The ${service} account behind the ${key} in ${where} is out of credit or over its limit.`,
        hint:
          words?.billingAt === undefined
            ? `Ask whoever pays for the ${service} account to add credit or raise the limit.`
            : `Add credit or raise the limit at ${words.billingAt}, then run the workflow again.`,
      };
    case 'source_unavailable':
      return {
        message: `The ${service} ${key} could not be read from ${where}.`,
        hint: facts.retryable
          ? 'This may pass: try again in a minute. If it goes on, ask whoever set up the workflow to check where the key is kept.'
          : 'Ask whoever set up the workflow to check where the key is kept.',
      };
    case 'insecure_source':
      return {
        message: `The ${service} ${key} in ${where} is kept or sent in a way others could read it, so it was not used.`,
        hint: 'Ask whoever set up the workflow to protect the key (a private file, or an https:// address).',
      };
  }
}

function budgetForEndUser(facts: BudgetFacts): Message {
  const what =
    facts.limit === 'usd'
      ? `its spending limit of $${facts.amount}`
      : facts.limit === 'requests'
        ? `its limit of ${facts.amount} requests`
        : `its limit of ${facts.amount} tokens`;
  return {
    message: `The budget "${facts.budget}" has reached ${what}, so this call was not made.`,
    hint: `It is available again from ${facts.resetsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC; to go on sooner, ask whoever manages the budget to raise it.`,
  };
}

export const english: MessageCatalog = {
  credential: (facts, audience) => (audience === 'end-user' ? credentialForEndUser(facts) : undefined),
  budget: (facts, audience) => (audience === 'end-user' ? budgetForEndUser(facts) : undefined),
};
