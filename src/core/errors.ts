// Errors with stable codes: callers switch on `code`, never on a message.

/** Every code a tessera error can carry. */
export type TesseraErrorCode =
  | "ERR_SECRET_MISSING"
  | "ERR_SECRET_TOO_SHORT"
  | "ERR_SECRET_WEAK"
  | "ERR_SECRET_DUPLICATE"
  | "ERR_INVALID_OPTION"
  | "ERR_OPTION_RENAMED"
  | "ERR_COOKIE_TOO_LARGE"
  | "ERR_SESSION_TOO_LARGE"
  | "ERR_INVALID_SESSION_DATA"
  | "ERR_SESSION_COMMITTED"
  | "ERR_SESSION_CONFLICT"
  | "ERR_STORE_UNAVAILABLE"
  | "ERR_NOT_SUPPORTED"
  | "ERR_HEADERS_SENT"
  | "ERR_SESSION_READ_ONLY"
  | "ERR_CODEC";

/**
 * The base of every error tessera throws. Messages never contain a token, a cookie value or a secret.
 *
 * @example
 * try { createSessions({ secrets: [] }); } catch (err) {
 *   if (err instanceof TesseraError && err.code === "ERR_SECRET_MISSING") process.exit(1);
 * }
 */
export class TesseraError extends Error {
  readonly code: TesseraErrorCode;

  constructor(code: TesseraErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A store call failed or timed out. Sessions fail closed: no cookie is set for a record that was not saved.
 * Adapters answer 503.
 *
 * @example
 * if (err instanceof StoreUnavailableError) return new Response("Try again", { status: 503 });
 */
export class StoreUnavailableError extends TesseraError {
  /** The store operation that failed, such as `get` or `set`. */
  readonly operation: string;
  /**
   * 503, where frameworks look for an error's HTTP status (Express's and Fastify's error handlers, http-errors),
   * so a store failure thrown inside a handler answers 503 rather than 500.
   */
  readonly status = 503;
  /** The same, under the name Fastify and node's http-errors also read. */
  readonly statusCode = 503;
  /** The message is not for the client (http-errors' convention, which Express's handler follows). */
  readonly expose = false;

  constructor(operation: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super(
      "ERR_STORE_UNAVAILABLE",
      options?.timedOut
        ? `session store did not answer "${operation}" in time`
        : `session store failed on "${operation}"`,
      { cause: options?.cause },
    );
    this.operation = operation;
  }
}

/**
 * Why a cookie value was rejected by a codec. `expired` and `not_yet_valid` come from codecs whose values carry
 * their own validity (a JWT's `exp`, `nbf` and `iat`; a Flask cookie's signing time): past it, or not yet in it.
 */
export type CodecFailure =
  | "malformed"
  | "unsupported_version"
  | "unknown_key"
  | "bad_signature"
  | "bad_payload"
  | "expired"
  | "not_yet_valid";

/**
 * A codec could not turn a cookie value back into a session. The manager turns it into a fresh session and an
 * event; it never reaches an application.
 *
 * @example
 * throw new CodecError("bad_signature");
 */
export class CodecError extends TesseraError {
  readonly reason: CodecFailure;

  constructor(reason: CodecFailure) {
    super("ERR_CODEC", `cookie value rejected: ${reason}`);
    this.reason = reason;
  }
}

/**
 * Guards an unknown thrown value.
 *
 * @example
 * if (isTesseraError(err) && err.code === "ERR_COOKIE_TOO_LARGE") useAStore();
 */
export function isTesseraError(value: unknown): value is TesseraError {
  return value instanceof TesseraError;
}

/**
 * Whether an error means the session store is down: a `StoreUnavailableError`, or any tessera error with the code
 * `ERR_STORE_UNAVAILABLE` (as a store may throw). Adapters answer 503 for these.
 *
 * @example
 * if (isStoreUnavailable(err)) return new Response("Try again", { status: 503 });
 */
export function isStoreUnavailable(error: unknown): error is TesseraError {
  return error instanceof TesseraError && error.code === "ERR_STORE_UNAVAILABLE";
}
