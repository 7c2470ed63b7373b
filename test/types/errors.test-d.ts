import OpenAI from 'openai';
import { describe, expectTypeOf, it } from 'vitest';
import { type CredentialReason, isCredentialError, type SdkCredentialError } from '../../src/index.js';

describe('narrowing errors', () => {
  it('gives an SDK error that is a credential error both sets of fields', () => {
    const error: unknown = undefined;
    if (error instanceof OpenAI.AuthenticationError && isCredentialError(error)) {
      expectTypeOf(error.reason).toEqualTypeOf<CredentialReason>();
      expectTypeOf(error.hint).toEqualTypeOf<string>();
      expectTypeOf(error.requestID).toEqualTypeOf<string | null | undefined>();
      expectTypeOf(error.headers).toEqualTypeOf<Headers>();
    }
    if (isCredentialError(error)) {
      expectTypeOf(error.maskedId).toEqualTypeOf<string | undefined>();
      expectTypeOf(error.status).toEqualTypeOf<number | undefined>();
    }
    const typed = {} as SdkCredentialError<InstanceType<typeof OpenAI.PermissionDeniedError>>;
    expectTypeOf(typed.status).toEqualTypeOf<403>();
    expectTypeOf(typed.reason).toEqualTypeOf<CredentialReason>();
  });
});
