/**
 * Wraps an SDK instance so that every error its methods throw or reject with goes through
 * `mapError`: promises (and the SDKs' promise subclasses such as `APIPromise`), async iterators
 * (streams, pagination) and nested resources (`sdk.chat.completions`). Methods run on the real
 * objects, so private fields and `instanceof` keep working; types are unchanged.
 * @module
 */

type MapError = (error: unknown) => unknown;

/**
 * Built-in data classes that are never wrapped. Read on first use: touching `Headers` or
 * `Response` loads undici, which `import 'keycard'` should not pay for.
 */
let builtInData: readonly (abstract new (...args: never[]) => unknown)[] | undefined;
function builtIns(): readonly (abstract new (...args: never[]) => unknown)[] {
  builtInData ??= [
    Date,
    RegExp,
    Map,
    Set,
    WeakMap,
    WeakSet,
    ArrayBuffer,
    Headers,
    Response,
    Request,
    URL,
    Error,
  ];
  return builtInData;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Whether instances of a prototype are built-in data, by prototype (a call checks a few). */
const builtInByPrototype = new WeakMap<object, boolean>();

/** Class instances worth wrapping: SDK resources, streams, pages. Plain data is left alone. */
function isWrappable(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === Object.prototype || prototype === null || Array.isArray(value)) return false;
  if (ArrayBuffer.isView(value)) return false;
  let builtIn = builtInByPrototype.get(prototype);
  if (builtIn === undefined) {
    builtIn = builtIns().some((type) => value instanceof type);
    builtInByPrototype.set(prototype, builtIn);
  }
  return !builtIn;
}

export function wrapSdk<T extends object>(sdk: T, mapError: MapError): T {
  const proxies = new WeakMap<object, object>();
  const methods = new WeakMap<object, Map<PropertyKey, unknown>>();

  const rethrow = (error: unknown): never => {
    throw mapError(error);
  };

  const wrapResult = (result: unknown): unknown => {
    if (result instanceof Promise && Object.getPrototypeOf(result) === Promise.prototype) {
      // A plain promise is mapped at once, so that a rejection nobody handles reaches Node's
      // unhandled-rejection printer as the mapped (redacted) error, never the raw one. Promise
      // subclasses (OpenAI's and Anthropic's APIPromise, whose errors keycard's fetch has already
      // redacted) stay lazy: touching them would parse a body meant for `asResponse()`.
      return result.then(wrapSettled, rethrow);
    }
    if (isThenable(result)) return wrapObject(result as object);
    if (isWrappable(result)) return wrapObject(result);
    return result;
  };

  const wrapMethod = (target: object, property: PropertyKey, method: (...args: unknown[]) => unknown) => {
    // A promise is awaited once or twice: its `then` is not worth a cache entry.
    const promiseMethod =
      (property === 'then' || property === 'catch' || property === 'finally') && isThenable(target);
    let cache: Map<PropertyKey, unknown> | undefined;
    if (!promiseMethod) {
      cache = methods.get(target);
      if (cache === undefined) {
        cache = new Map();
        methods.set(target, cache);
      }
      const cached = cache.get(property) as { original: unknown; wrapper: unknown } | undefined;
      if (cached?.original === method) return cached.wrapper;
    }
    let wrapper: unknown;
    if (property === 'then' && promiseMethod) {
      wrapper = (onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) =>
        (target as PromiseLike<unknown>).then(
          onFulfilled === undefined || onFulfilled === null
            ? (value) => wrapSettled(value)
            : (value) => onFulfilled(wrapSettled(value)),
          (error: unknown) => {
            const mappedError = mapError(error);
            if (typeof onRejected === 'function') return onRejected(mappedError);
            throw mappedError;
          },
        );
    } else if (property === 'catch' && isThenable(target)) {
      wrapper = (onRejected?: (error: unknown) => unknown) =>
        (wrapObject(target) as PromiseLike<unknown>).then(undefined, onRejected);
    } else if (property === 'finally' && isThenable(target)) {
      wrapper = (onFinally?: () => void) =>
        (wrapObject(target) as PromiseLike<unknown>).then(
          (value) => {
            onFinally?.();
            return value;
          },
          (error: unknown) => {
            onFinally?.();
            throw error;
          },
        );
    } else {
      wrapper = (...args: unknown[]) => {
        let result: unknown;
        try {
          result = method.apply(target, args);
        } catch (error) {
          return rethrow(error);
        }
        return wrapResult(result);
      };
    }
    cache?.set(property, { original: method, wrapper });
    return wrapper;
  };

  /** A resolved value: streams and pages are wrapped so their iteration maps errors too. */
  const wrapSettled = (value: unknown): unknown => {
    if (isWrappable(value) && Symbol.asyncIterator in value) return wrapObject(value);
    return value;
  };

  const wrapObject = (target: object): object => {
    const existing = proxies.get(target);
    if (existing !== undefined) return existing;
    const proxy = new Proxy(target, {
      get(object, property) {
        const value = Reflect.get(object, property, object) as unknown;
        // A proxy must return a frozen own property as it is.
        const descriptor = Reflect.getOwnPropertyDescriptor(object, property);
        if (descriptor !== undefined && descriptor.configurable === false && descriptor.writable === false)
          return value;
        if (typeof value === 'function') {
          if (property === 'constructor') return value;
          return wrapMethod(object, property, value as (...args: unknown[]) => unknown);
        }
        // Namespaces reached by property access are wrapped too, plain objects included
        // (Slack's `sdk.chat` is a plain object of bound methods).
        if ((isWrappable(value) || isPlainObject(value)) && !isThenable(value) && !Object.isFrozen(value)) {
          return wrapObject(value);
        }
        return value;
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };

  return wrapObject(sdk) as T;
}
