import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CallDeadline } from '../../src/providers/call-deadline.js';

describe('CallDeadline', () => {
  it('aborts when its time passes, as a TimeoutError, and says it expired', async () => {
    const deadline = new CallDeadline(20);
    expect(deadline.signal.aborted).toBe(false);
    await sleep(60);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(true);
    expect(deadline.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('follows the caller’s signal with its reason; that is no expiry', async () => {
    const caller = new AbortController();
    const deadline = new CallDeadline(20, caller.signal);
    caller.abort(new Error('stop'));
    expect(deadline.signal.reason).toEqual(new Error('stop'));
    await sleep(60);
    expect(deadline.expired).toBe(false);

    const early = new AbortController();
    early.abort('before');
    expect(new CallDeadline(1000, early.signal).signal.reason).toBe('before');
  });

  it('after end(), neither its timer nor the caller’s signal aborts it', async () => {
    const caller = new AbortController();
    const deadline = new CallDeadline(20, caller.signal);
    deadline.end();
    await sleep(60);
    caller.abort();
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.expired).toBe(false);
  });
});
