// Module loader hooks for cold-start-client.mjs: every module URL loaded is appended to a file
// (as resolution-hooks.mjs does), and loading better-sqlite3 takes `data.delayMs` longer, so that
// the default ledger opens well after the client's first calls have ended.
import { appendFileSync } from 'node:fs';

let file;
let delayMs = 0;

export async function initialize(data) {
  file = data.file;
  delayMs = data.delayMs;
}

export async function load(url, context, nextLoad) {
  appendFileSync(file, `${url}\n`);
  if (url.includes('/node_modules/better-sqlite3/')) await new Promise((done) => setTimeout(done, delayMs));
  return nextLoad(url, context);
}
