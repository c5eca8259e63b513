// Every store call goes through here: a deadline, and any failure turned into a typed StoreUnavailableError.

import { StoreUnavailableError, TesseraError } from "../core/errors.js";
import type { Awaitable } from "../core/store.js";

/**
 * Runs one store operation under a deadline. A synchronous store (SQLite) answers at once and pays for no
 * timer; an asynchronous one that does not settle within `timeoutMs` is abandoned with a typed error.
 *
 * @example
 * const stored = await guard("get", 2000, () => store.get(id));
 */
export async function guard<T>(operation: string, timeoutMs: number, call: () => Awaitable<T>): Promise<T> {
  let pending: Awaitable<T>;
  try {
    pending = call();
  } catch (error) {
    throw toStoreError(operation, error);
  }
  if (!(pending instanceof Promise)) return pending;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(operation, { timedOut: true })), timeoutMs);
  });
  try {
    return await Promise.race([pending, deadline]);
  } catch (error) {
    throw toStoreError(operation, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Typed errors pass through (a `CodecError` for a corrupt record among them); anything else means the store failed. */
function toStoreError(operation: string, error: unknown): TesseraError {
  return error instanceof TesseraError ? error : new StoreUnavailableError(operation, { cause: error });
}
