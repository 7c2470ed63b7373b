import { afterEach, describe, expect, it, vi } from 'vitest';
import { nulledEnvHeaders } from '../../src/providers/env-headers.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('nulledEnvHeaders', () => {
  it('nulls every header the variable names, skipping bad lines and the SDK’s own headers', () => {
    vi.stubEnv(
      'SOME_CUSTOM_HEADERS',
      'X-Team: ops\ngarbage words\nbad name: x\nUser-Agent: me\nx-stainless-os: y\n X-Other :1',
    );
    expect(nulledEnvHeaders('SOME_CUSTOM_HEADERS', ['user-agent'])).toEqual({
      'X-Team': null,
      'X-Other': null,
    });
    expect(nulledEnvHeaders('UNSET_CUSTOM_HEADERS')).toEqual({});
  });
});
