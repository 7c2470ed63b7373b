import { describe, expect, it } from 'vitest';
import { alertText, describeScope } from '../../src/alerts/text.js';
import type { BudgetAlert } from '../../src/ledger/budget.js';

function alert(scope: string, extra: Partial<BudgetAlert> = {}): BudgetAlert {
  return {
    kind: 'threshold',
    budget: 'team budget',
    scope,
    threshold: 0.8,
    spend: { usd: 4, requests: 10, tokens: 1000 },
    limit: { usd: 5 },
    periodStart: new Date('2026-12-01T00:00:00Z'),
    period: 'month',
    message: 'keycard: budget',
    ...extra,
  };
}

describe('alert text', () => {
  it('names each kind of scope as a person reads it', () => {
    expect(describeScope(alert('workflow:summarize'))).toBe('workflow "summarize"');
    expect(describeScope(alert('provider:openai'))).toBe('provider openai');
    expect(describeScope(alert('tag:team=search'))).toBe('team "search"');
    expect(describeScope(alert('key:0123456789abcdef', { key: 'sk-****wxyz' }))).toBe('key sk-****wxyz');
    expect(describeScope(alert('key:0123456789abcdef'))).toBe('key with fingerprint 0123456789ab');
  });

  it("puts the tag's scope in the message", () => {
    expect(alertText(alert('tag:team=search'))).toContain('team "search"');
  });
});
