import { describe, expect, it } from 'vitest';
import { wrapSdk } from '../../src/instrument/sdk-proxy.js';

class Mapped extends Error {}
const mapError = (error: unknown) => new Mapped(`mapped: ${(error as Error).message}`);

class FancyPromise<T> extends Promise<T> {
  extra(): Promise<string> {
    return Promise.reject(new Error('extra failed'));
  }
}

class Resource {
  readonly #secret = 'private field';
  create(ok: boolean): FancyPromise<string> {
    return new FancyPromise((resolve, reject) =>
      ok ? resolve(this.#secret) : reject(new Error('call failed')),
    );
  }
  throwsNow(): never {
    throw new Error('sync failure');
  }
  async *stream(): AsyncGenerator<number> {
    yield 1;
    throw new Error('stream failed');
  }
  async streamObject(): Promise<{ [Symbol.asyncIterator](): AsyncIterator<number> }> {
    return new Streamish();
  }
}

class Streamish {
  async *[Symbol.asyncIterator](): AsyncGenerator<number> {
    yield 1;
    throw new Error('iteration failed');
  }
}

class Sdk {
  readonly resource = new Resource();
  readonly frozen = Object.freeze({ value: 1 });
  readonly plain = { a: 1 };
}

describe('wrapSdk', () => {
  it('keeps results, private fields and instanceof', async () => {
    const sdk = wrapSdk(new Sdk(), mapError);
    expect(sdk).toBeInstanceOf(Sdk);
    expect(sdk.resource).toBeInstanceOf(Resource);
    expect(sdk.resource).toBe(sdk.resource);
    await expect(sdk.resource.create(true)).resolves.toBe('private field');
    expect(sdk.plain).toEqual({ a: 1 });
  });

  it('maps rejections through await, then, catch and finally', async () => {
    const sdk = wrapSdk(new Sdk(), mapError);
    await expect(sdk.resource.create(false)).rejects.toBeInstanceOf(Mapped);
    await expect(sdk.resource.create(false).then(() => 'no')).rejects.toThrow('mapped: call failed');
    await expect(sdk.resource.create(false).catch((error: unknown) => error)).resolves.toBeInstanceOf(Mapped);
    let finallyRan = false;
    await expect(sdk.resource.create(false).finally(() => (finallyRan = true))).rejects.toBeInstanceOf(
      Mapped,
    );
    expect(finallyRan).toBe(true);
  });

  it('maps errors of methods on returned promise subclasses', async () => {
    const sdk = wrapSdk(new Sdk(), mapError);
    await expect(sdk.resource.create(true).extra()).rejects.toThrow('mapped: extra failed');
  });

  it('maps synchronous throws', () => {
    const sdk = wrapSdk(new Sdk(), mapError);
    expect(() => sdk.resource.throwsNow()).toThrow('mapped: sync failure');
  });

  it('maps errors raised while iterating streams', async () => {
    const sdk = wrapSdk(new Sdk(), mapError);
    const seen: number[] = [];
    await expect(async () => {
      for await (const value of sdk.resource.stream()) seen.push(value);
    }).rejects.toThrow('mapped: stream failed');
    const streamish = await sdk.resource.streamObject();
    await expect(async () => {
      for await (const value of streamish) seen.push(value);
    }).rejects.toThrow('mapped: iteration failed');
    expect(seen).toEqual([1, 1]);
  });

  it('returns frozen own properties as they are', () => {
    const raw = new Sdk();
    const sdk = wrapSdk(raw, mapError);
    expect(sdk.frozen).toBe(raw.frozen);
  });
});

describe('wrapSdk namespaces', () => {
  it('maps errors of methods on plain-object namespaces', async () => {
    const raw = { chat: { post: async () => Promise.reject(new Error('post failed')) } };
    class Client {
      readonly chat = raw.chat;
    }
    const sdk = wrapSdk(new Client(), mapError);
    await expect(sdk.chat.post()).rejects.toThrow('mapped: post failed');
  });
});
