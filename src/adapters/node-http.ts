// node:http machinery shared by the adapters on it (node, express, fastify): request facts, response headers,
// and holding the response head back until the session is committed.

import { ServerResponse, type IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { isStoreUnavailable } from "../core/errors.js";
import type { ResponseChanges } from "../manager/changes.js";
import type { RequestFacts } from "../manager/sessions.js";
import { joined, writeChanges } from "./http.js";
import { nodeRequestFacts } from "./node-facts.js";

/**
 * What tessera needs from a node:http request: its Cookie header, whether it came over TLS (or, from trusted
 * proxies counted in hops, `X-Forwarded-Proto: https`, read from the right) and its User-Agent.
 *
 * @example
 * const session = await sessions.loadFrom(factsOf(req, sessions.trustProxy));
 */
export function factsOf(req: IncomingMessage, trustProxy: number): RequestFacts {
  return nodeRequestFacts(req.headers, (req.socket as TLSSocket).encrypted === true, trustProxy);
}

/**
 * Sets a commit's headers on a node:http response, keeping any `Set-Cookie` the application set.
 *
 * @example
 * applyChanges(res, await sessions.commitHeaders(session));
 */
export function applyChanges(res: ServerResponse, changes: ResponseChanges): void {
  writeChanges(changes, {
    vary: () => joined(res.getHeader("vary")),
    set: (name, value) => res.setHeader(name, value),
    appendSetCookie: (values) => {
      const existing = res.getHeader("set-cookie");
      const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
      res.setHeader("Set-Cookie", [...list, ...values]);
    },
  });
}

/** A write held back until the session is committed. */
type Held = { method: "write" | "end"; args: unknown[] };
type Method = "writeHead" | "write" | "end";
type Methods = Record<Method, (...args: unknown[]) => unknown>;

/** Per response: what is held, and the methods that really write. */
interface HoldState {
  original: Methods;
  /** The app's `writeHead`: its status and reason. The headers it passed are already set on the response. */
  head: { statusCode: number; statusMessage: string | undefined } | undefined;
  queue: Held[];
  /** An `end` is held, so a later write is a write after end. */
  ended: boolean;
  /** holding: nothing written yet; committing: `beforeHead` runs; released: calls go straight through. */
  phase: "holding" | "committing" | "released";
  /** The handler failed (`fail`). */
  failed: boolean;
  beforeHead: (failed: boolean) => Promise<void>;
}

const holding = Symbol("tessera.holdHead");
const methods: readonly Method[] = ["writeHead", "write", "end"];
type Holdable = ServerResponse & { [holding]?: HoldState };

/** Prototypes (such as Express's per-app `app.response`) whose methods already hold for responses with a state. */
const patchedPrototypes = new WeakMap<object, Methods>();

/**
 * The methods that really write, for `res`. A response whose prototype is its framework's own (Express gives each
 * app one) gets holding methods installed on that prototype once: per request only a state is attached, which
 * keeps V8's view of the response's shape stable. A plain node:http response gets them on the instance, since
 * node's shared ServerResponse.prototype is not ours to change.
 */
function installHolding(res: Holdable): Methods {
  const proto = Object.getPrototypeOf(res) as Methods & object;
  const ownMethod = methods.some((method) => Object.hasOwn(res, method));
  if (proto !== ServerResponse.prototype && !ownMethod) {
    let original = patchedPrototypes.get(proto);
    if (original === undefined) {
      original = { writeHead: proto.writeHead, write: proto.write, end: proto.end };
      for (const method of methods) proto[method] = holdingMethod(method, original[method]);
      patchedPrototypes.set(proto, original);
    }
    return original;
  }
  const original = { writeHead: res.writeHead, write: res.write, end: res.end } as unknown as Methods;
  for (const method of methods) (res as unknown as Methods)[method] = holdingMethod(method, original[method]);
  return original;
}

function holdingMethod(method: Method, original: (...args: unknown[]) => unknown) {
  return function (this: Holdable, ...args: unknown[]): unknown {
    const state = this[holding];
    if (state === undefined) return original.apply(this, args);
    if (isWriteAfterEnd(method, args, state.ended || this.writableEnded)) return dropWriteAfterEnd(method, args, this);
    if (state.phase === "released") return original.apply(this, args);
    if (method === "writeHead") {
      holdWriteHead(this, state, args);
      return this;
    }
    // Node checks a chunk when it is written: refuse it now, where the app can catch it, not at the replay.
    if (!isChunk(args[0], method)) refuseAsNode(this, method, args);
    state.queue.push({ method, args });
    if (method === "end") state.ended = true;
    if (state.phase === "holding") void flush(this, state).catch(() => this.destroy());
    return method === "write" ? true : this;
  };
}

/**
 * What node's `writeHead` does before the head is stored, done now: the status and every header are checked and set
 * (so a bad one throws to the app at its own call, as in plain node:http), and the headers passed join the
 * response's, where the commit adds to them (`Set-Cookie`, `Vary`) instead of being replaced by them. Only the head
 * itself waits for the commit.
 */
function holdWriteHead(res: Holdable, state: HoldState, args: unknown[]): void {
  if (state.head !== undefined || state.phase !== "holding") throw headersSentError();
  const [statusCode, reason] = args;
  let headers = args[2];
  // Node's own coercion (`statusCode |= 0`) and range, with node's own error.
  const code = (statusCode as number) | 0;
  if (code < 100 || code > 999) refuseAsNode(res, "writeHead", [statusCode]);
  if (typeof reason === "string") res.statusMessage = reason;
  else headers ??= reason;
  res.statusCode = code;
  if (Array.isArray(headers)) {
    const pairs = headers.length > 0 && Array.isArray(headers[0]);
    if (!pairs && headers.length % 2 !== 0) refuseAsNode(res, "writeHead", [code, headers]);
    // A raw list may repeat a name (two Set-Cookie lines): each value stays a line of its own.
    const grouped = new Map<string, { name: string; values: unknown[] }>();
    for (let i = 0; i < headers.length; i += pairs ? 1 : 2) {
      const [name, value] = pairs ? (headers[i] as unknown[]) : [headers[i], headers[i + 1]];
      if (!name) continue;
      const key = String(name).toLowerCase();
      const entry = grouped.get(key) ?? { name: String(name), values: [] };
      entry.values.push(...(Array.isArray(value) ? value : [value]));
      grouped.set(key, entry);
    }
    for (const { name, values } of grouped.values()) res.setHeader(name, values.length === 1 ? (values[0] as string) : (values as string[]));
  } else if (headers) {
    for (const name of Object.keys(headers)) if (name) res.setHeader(name, (headers as Record<string, string>)[name]!);
  }
  if (headerCharRegExp.test(res.statusMessage ?? "")) refuseAsNode(res, "writeHead", [code, res.statusMessage]);
  state.head = { statusCode: code, statusMessage: typeof reason === "string" ? reason : res.statusMessage || undefined };
}

/**
 * A character a reason phrase may not hold. RFC 9110 §4 and RFC 9112 §4:
 * `reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )`, the set node checks the status message against.
 */
const headerCharRegExp = /[^\t\x20-\x7e\x80-\xff]/;

/** Whether node would accept `chunk` for `method` (`write` needs a string or bytes; `end` also takes none). */
function isChunk(chunk: unknown, method: "write" | "end"): boolean {
  if (method === "end" && (!chunk || typeof chunk === "function")) return true;
  return typeof chunk === "string" || chunk instanceof Uint8Array;
}

/**
 * Throws the error node throws for this call, by making it on a scratch response for the same request: the app
 * sees node's own error (its class, code and message), and the real response is untouched.
 */
function refuseAsNode(res: ServerResponse, method: Method, args: unknown[]): void {
  const scratch = new ServerResponse(res.req) as unknown as Methods;
  scratch[method](...args);
}

function headersSentError(): Error {
  return Object.assign(new Error("Cannot write headers after they are sent to the client"), { code: "ERR_HTTP_HEADERS_SENT" });
}

/** A `write`, or an `end` with a chunk, on a response already ended. */
function isWriteAfterEnd(method: Method, args: unknown[], ended: boolean): boolean {
  if (!ended || method === "writeHead") return false;
  return method === "write" || (Boolean(args[0]) && typeof args[0] !== "function");
}

/**
 * A write after end is dropped and its callback, if any, told so. Plain node:http emits an 'error' event on the
 * response instead, which ends a process that has no listener for it.
 */
function dropWriteAfterEnd(method: Method, args: unknown[], res: ServerResponse): unknown {
  const callback = args.findLast((arg) => typeof arg === "function") as ((error: Error) => void) | undefined;
  if (callback) process.nextTick(callback, Object.assign(new Error("write after end"), { code: "ERR_STREAM_WRITE_AFTER_END" }));
  return method === "write" ? false : res;
}

/**
 * Runs `beforeHead`, then replays what was held. Never rejects: an error from the commit or from a replayed call
 * becomes an error response, or a destroyed socket once the head is out.
 */
async function flush(res: Holdable, state: HoldState): Promise<void> {
  state.phase = "committing";
  const failed = state.failed || (state.head?.statusCode ?? res.statusCode) >= 500;
  try {
    await state.beforeHead(failed);
  } catch (error) {
    release(state);
    respondWithError(res, error);
    return;
  }
  const { head, queue } = state;
  release(state);
  try {
    if (head) state.original.writeHead.apply(res, head.statusMessage === undefined ? [head.statusCode] : [head.statusCode, head.statusMessage]);
    for (const held of queue) state.original[held.method].apply(res, held.args);
  } catch (error) {
    respondWithError(res, error);
  }
  // The handler failed after it began its response: a response it left unfinished is cut off, not left hanging.
  if (state.failed && !res.writableEnded) res.destroy();
}

/** From now on the app's calls go straight to node; what was held is no longer the state's. */
function release(state: HoldState): void {
  state.phase = "released";
  state.head = undefined;
  state.queue = [];
  state.ended = false;
}

/** The handle `holdHead` returns. */
export interface HeldResponse {
  /**
   * The handler failed with `error`. Before the app began its response, what it held is dropped and an error
   * response (500, or 503 for a store outage) goes out instead, `beforeHead` being told the request failed. After,
   * the commit that went with the head stands, and a response left unfinished is cut off.
   */
  fail(error: unknown): void;
}

/**
 * Holds back the response head until `beforeHead` has run: `writeHead` is checked and its headers set at once, while
 * the head itself, `write` and `end` wait from the first call; `beforeHead` runs (it may be async, as a store write
 * is), then what was held is replayed in order. `beforeHead` learns whether the request failed: `fail` was called,
 * or the status is 500 or more. If `beforeHead` fails, the held response is dropped and an error response sent.
 *
 * @example
 * const held = holdHead(res, async (failed) => applyChanges(res, await changesFor(failed)));
 * try { await handle(req, res); } catch (error) { held.fail(error); }
 */
export function holdHead(res: ServerResponse, beforeHead: (failed: boolean) => Promise<void>): HeldResponse {
  const holdable = res as Holdable;
  const state: HoldState = {
    original: installHolding(holdable),
    head: undefined,
    queue: [],
    ended: false,
    phase: "holding",
    failed: false,
    beforeHead,
  };
  holdable[holding] = state;
  return {
    fail(error) {
      state.failed = true;
      if (state.phase === "released") {
        if (!res.writableEnded) res.destroy();
        return;
      }
      // Committing: the app's response has begun, and flush cuts it off if the replay leaves it unfinished.
      if (state.phase === "committing") return;
      state.head = undefined;
      state.queue.push({ method: "end", args: [prepareErrorResponse(res, error)] });
      state.ended = true;
      void flush(holdable, state).catch(() => res.destroy());
    },
  };
}

/** 503 for a store that is down, 500 for anything else; never a stack trace or a message that could echo input. */
export function respondWithError(res: ServerResponse, error: unknown): void {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.end(prepareErrorResponse(res, error));
  } catch {
    res.destroy();
  }
}

/** Replaces the response's status and headers with an error's, and returns its body. */
function prepareErrorResponse(res: ServerResponse, error: unknown): string {
  const unavailable = isStoreUnavailable(error);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = unavailable ? 503 : 500;
  res.statusMessage = "";
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  if (unavailable) res.setHeader("Retry-After", "5");
  return unavailable ? "Service Unavailable\n" : "Internal Server Error\n";
}
