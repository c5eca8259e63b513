// Every store call goes through here: a deadline that also cancels, and any failure turned into a typed StoreUnavailableError.

import { StoreUnavailableError, TesseraError } from "../core/errors.js";
import type { Awaitable, StoreCallOptions } from "../core/store.js";

/**
 * Runs one store operation under a deadline. The operation gets an `AbortSignal` that aborts when the deadline
 * passes, before the caller hears of the failure, so a store can drop a write it has not yet sent instead of
 * landing it after the request was answered 503, and the deadline itself, so a backend that can check the time
 * can refuse a write that reaches it later. A synchronous store (SQLite) answers at once and pays for no timer.
 *
 * @example
 * const stored = await guard("get", 2000, (io) => store.get(id, io));
 */
export async function guard<T>(operation: string, timeoutMs: number, call: (io: StoreCallOptions) => Awaitable<T>): Promise<T> {
  // An AbortController costs microseconds; it is made only for a store that reads `signal` (the networked ones).
  let controller: AbortController | undefined;
  const io: StoreCallOptions = {
    deadline: Date.now() + timeoutMs,
    get signal() {
      return (controller ??= new AbortController()).signal;
    },
  };
  let pending: Awaitable<T>;
  try {
    pending = call(io);
  } catch (error) {
    throw toStoreError(operation, error);
  }
  if (!(pending instanceof Promise)) return pending;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller?.abort();
      reject(new StoreUnavailableError(operation, { timedOut: true }));
    }, timeoutMs);
  });
  // The abandoned call may still reject later; that answer has no one left to hear it.
  pending.catch(() => undefined);
  try {
    return await Promise.race([pending, deadline]);
  } catch (error) {
    throw toStoreError(operation, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Typed errors pass through; anything else means the store failed. */
function toStoreError(operation: string, error: unknown): TesseraError {
  return error instanceof TesseraError ? error : new StoreUnavailableError(operation, { cause: error });
}
