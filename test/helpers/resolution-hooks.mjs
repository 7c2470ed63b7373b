// Module loader hooks for list-loaded-modules.mjs: every module URL loaded is appended to a file,
// synchronously, so the list is complete when the import that loaded them settles.
import { appendFileSync } from 'node:fs';

let file;

export async function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
