/**
 * A value that is sometimes there at once and sometimes still coming: the one
 * name for it (as Hive's and envelop's `MaybePromise`). Authentication answers
 * a token found in the verification cache synchronously, which is nearly every
 * request, and a look-up with a promise; callers chain on it with `then`
 * instead of testing for a promise themselves.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `fn` applied to `value`: at once when it is there, after it settles when it is a promise. */
export function then<T, R>(value: MaybePromise<T>, fn: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}
