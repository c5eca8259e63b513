// node:http machinery shared by the adapters on it (node, express, fastify): request facts, response headers,
// and holding the response head back until the session is committed.

import { ServerResponse, type IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { isStoreUnavailable } from "../core/errors.js";
import { forwardedSecure, varyWithCookie, type RequestFacts, type ResponseChanges } from "../manager/sessions.js";

/**
 * What tessera needs from a node:http request: its Cookie header, whether it came over TLS (or, from trusted
 * proxies counted in hops, `X-Forwarded-Proto: https`, read from the right) and its User-Agent.
 *
 * @example
 * const session = await sessions.loadFrom(factsOf(req, sessions.trustProxy));
 */
export function factsOf(req: IncomingMessage, trustProxy: number): RequestFacts {
  const forwarded = req.headers["x-forwarded-proto"];
  const secure = forwardedSecure((req.socket as TLSSocket).encrypted === true, Array.isArray(forwarded) ? forwarded.join(",") : forwarded, trustProxy);
  return { cookie: req.headers.cookie, secure, userAgent: req.headers["user-agent"] };
}

/**
 * Sets a commit's headers on a node:http response, keeping any `Set-Cookie` the application set.
 *
 * @example
 * applyChanges(res, await sessions.commitHeaders(session));
 */
export function applyChanges(res: ServerResponse, changes: ResponseChanges): void {
  const current = res.getHeader("vary");
  const vary = varyWithCookie(Array.isArray(current) ? current.join(", ") : current === undefined ? undefined : String(current));
  if (vary !== undefined) res.setHeader("Vary", vary);
  if (changes.setCookie.length > 0) {
    const existing = res.getHeader("set-cookie");
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader("Set-Cookie", [...list, ...changes.setCookie]);
  }
  if (changes.noStore) res.setHeader("Cache-Control", "no-store");
}

/** A call held back until the session is committed. */
type Held = { method: Method; args: unknown[] };
type Method = "writeHead" | "write" | "end";
type Methods = Record<Method, (...args: unknown[]) => unknown>;

/** Per response: what is held, and the methods that really write. */
interface HoldState {
  original: Methods;
  queue: Held[];
  started: boolean;
  released: boolean;
  beforeHead: () => Promise<void>;
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
    if (state === undefined || state.released) return original.apply(this, args);
    state.queue.push({ method, args });
    if (method !== "writeHead" && !state.started) {
      state.started = true;
      void flush(this, state);
    }
    return method === "write" ? true : this;
  };
}

async function flush(res: Holdable, state: HoldState): Promise<void> {
  try {
    await state.beforeHead();
  } catch (error) {
    state.released = true;
    respondWithError(res, error);
    return;
  }
  state.released = true;
  for (const held of state.queue) state.original[held.method].apply(res, held.args);
}

/**
 * Holds back the response head until `beforeHead` has run: `writeHead`, `write` and `end` are queued from the
 * first call, `beforeHead` runs (it may be async, as a store write is), then the queue is replayed in order.
 * If `beforeHead` fails, the queued response is dropped and an error response sent instead.
 */
export function holdHead(res: ServerResponse, beforeHead: () => Promise<void>): { abandon(): void } {
  const holdable = res as Holdable;
  const state: HoldState = { original: installHolding(holdable), queue: [], started: false, released: false, beforeHead };
  holdable[holding] = state;
  return {
    abandon() {
      state.queue.length = 0;
      state.released = true;
    },
  };
}

/** 503 for a store that is down, 500 for anything else; never a stack trace or a message that could echo input. */
export function respondWithError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const unavailable = isStoreUnavailable(error);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = unavailable ? 503 : 500;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  if (unavailable) res.setHeader("Retry-After", "5");
  res.end(unavailable ? "Service Unavailable\n" : "Internal Server Error\n");
}
