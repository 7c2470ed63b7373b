/** Catching what a call throws, for assertions. */
import { type CredentialError, isCredentialError } from '../../src/errors.js';

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The `CredentialError` `promise` rejects with; rethrows any other error. */
export async function credentialRejection(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await rejection(promise);
  if (isCredentialError(error)) return error;
  throw error;
}

/** What `call` throws synchronously; fails the test when it returns. */
export function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
