/**
 * `keycard usage --by tag:NAME` on a real SQLite ledger: the table, JSON and CSV by a tag and the
 * model, a bad tag name, and the HTML report's table per tag name.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { keycard } from '../helpers/cli.js';
import { usageEvent } from '../helpers/ledgers.js';

let url: string;
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'keycard-cli-usage-tags-'));
  const ledger = await openSqliteLedger(join(folder, 'ledger.db'));
  const time = new Date(Date.now() - 3_600_000);
  ledger.record(usageEvent({ time, tags: { team: 'search', user: 'u1' }, costUsd: 0.5 }));
  ledger.record(usageEvent({ time, tags: { team: 'search' }, model: 'gpt-4o', costUsd: 1 }));
  ledger.record(usageEvent({ time, tags: { team: 'billing' }, costUsd: 0.25 }));
  ledger.record(usageEvent({ time, costUsd: 0.125 }));
  await ledger.close();
  url = `sqlite:${join(folder, 'ledger.db')}`;
});

describe('keycard usage --by tag:NAME', () => {
  it('prints a table by tag and model, calls without the tag as (none)', async () => {
    const { code, stdout } = await keycard(['usage', '--ledger', url, '--by', 'tag:team,model']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/│ tag:team\s+│ model\s+│ provider\s+│ requests/);
    expect(stdout).toMatch(/│ search\s+│ gpt-4o-mini\s+│ openai\s+│ 1\s+│.*\$0\.5000/);
    expect(stdout).toMatch(/│ search\s+│ gpt-4o\s+│ openai\s+│ 1\s+│.*\$1\.0000/);
    expect(stdout).toMatch(/│ billing\s+│ gpt-4o-mini\s+│.*\$0\.2500/);
    expect(stdout).toMatch(/│ \(none\)\s+│ gpt-4o-mini\s+│.*\$0\.1250/);
    const line = (text: string) => stdout.split('\n').find((item) => item.includes(text)) ?? '';
    expect(line('total (4 rows)')).toContain('$1.8750');
  });

  it('writes JSON rows with their tags, and CSV with a column per tag', async () => {
    const json = await keycard(['usage', '--ledger', url, '--by', 'tag:team,model', '--json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{
      tags: Record<string, string | null>;
      model: string;
      provider: string;
      costUsd: number;
    }>;
    expect(rows.map((row) => `${row.tags['team']}/${row.model}/${row.provider}=${row.costUsd}`)).toEqual([
      'search/gpt-4o-mini/openai=0.5',
      'search/gpt-4o/openai=1',
      'billing/gpt-4o-mini/openai=0.25',
      'null/gpt-4o-mini/openai=0.125',
    ]);
    const csv = await keycard(['usage', '--ledger', url, '--by', 'tag:user,tag:team', '--csv']);
    const [head, ...lines] = csv.stdout.trim().split('\n');
    expect(head?.startsWith('tag:user,tag:team,provider,requests,')).toBe(true);
    expect(lines.some((item) => item.startsWith('u1,search,openai,1,'))).toBe(true);
    expect(lines.some((item) => item.startsWith(',billing,openai,1,'))).toBe(true);
  });

  it('refuses a tag name that cannot be one', async () => {
    const { code, stderr } = await keycard(['usage', '--ledger', url, '--by', 'tag:two words']);
    expect(code).toBe(2);
    expect(stderr).toContain('--by tag:two words: a tag name starts with a letter');
  });

  it('puts a table per tag name in the HTML report', async () => {
    const file = join(folder, 'report.html');
    const { code } = await keycard(['usage', '--ledger', url, '--html', file]);
    expect(code).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(html).toContain('<table id="table-tag-team"><caption>By tag team</caption>');
    expect(html).toContain('<table id="table-tag-user"><caption>By tag user</caption>');
    const team = html.slice(
      html.indexOf('id="table-tag-team"'),
      html.indexOf('</table>', html.indexOf('id="table-tag-team"')),
    );
    expect(team).toContain('<th scope="row">search</th><td>$1.5000</td>');
    expect(team).toContain('<th scope="row">(no team tag)</th><td>$0.1250</td>');
  });
});
