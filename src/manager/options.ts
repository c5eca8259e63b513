// createSessions' options: their types, their defaults, and the one place they are checked and resolved.

import type { Codec } from "../core/codec.js";
import { toMilliseconds, type Duration } from "../core/duration.js";
import { TesseraError } from "../core/errors.js";
import type { TimeoutPolicy } from "../core/policy.js";
import type { Migration } from "../core/migration.js";
import type { Store } from "../core/store.js";
import { createKeyRing, type KeyRing, type Secret } from "../crypto/keyring.js";
import { resolveCookieOptions, type CookieOptions, type CookieSettings } from "../cookie/options.js";
import { createSealedCodec } from "../codecs/sealed.js";
import { createSignedCodec } from "../codecs/signed.js";
import { jsonSerializer } from "../codecs/json.js";
import type { CompressionOptions } from "../codecs/deflate.js";
import type { SessionEvent } from "./events.js";

/** Options of `createSessions`. */
export interface SessionsOptions {
  /** Secrets of 32 bytes or more: the first signs and seals, every one verifies. Required; there is no default. */
  secrets: readonly Secret[];
  /** Where sessions live. Leave out for cookie mode: the whole session sealed (or signed) in the cookie. */
  store?: Store;
  /** Cookie mode's codec. @default "sealed" */
  codec?: "sealed" | "signed" | Codec;
  /**
   * Cookie mode, sealed or signed codec: the session is compressed (raw DEFLATE) before it is sealed or signed, when
   * that makes it smaller. Off by default, because the cookie's length then tells an observer how well the session
   * compresses: data an attacker can put in the session beside a secret leaks the secret a guess at a time (as in
   * CRIME and BREACH). Compressed or not, cookies are read either way, and never inflated past `maxRecordBytes`.
   * @default false
   */
  compress?: boolean;
  cookie?: CookieOptions;
  /** A session unused this long ends. @default "24h" */
  idleTimeout?: Duration;
  /** A session ends this long after it was created, however active. @default "30d" */
  absoluteTimeout?: Duration;
  /** Sliding renewal is written at most once per this interval. @default idleTimeout / 10 */
  touchAfter?: Duration;
  /**
   * How many proxies in front of the app to believe about the scheme (`X-Forwarded-Proto`), like Express's
   * `trust proxy` hop count: the value is read from the right, where the proxies nearest the app wrote it, so a
   * scheme the client put in the header itself is never believed. `true` means one proxy. @default 0 (none)
   */
  trustProxy?: boolean | number;
  /**
   * Store mode: the largest a session record may be, as stored (data, flash messages and metadata, in bytes).
   * A value over it is refused at `set` and a record over it at commit, with `ERR_SESSION_TOO_LARGE`. Cookie mode:
   * the most a compressed cookie inflates to (see `compress`). @default 65536
   */
  maxRecordBytes?: number;
  /**
   * Cookie mode: how many cookie values already opened are remembered, by their exact text, so a repeat visit
   * skips the decryption (timeouts are still judged on every request). 0 turns it off. @default 1000
   */
  decodeCacheSize?: number;
  /** Every store call is abandoned after this long, failing closed. @default "5s" */
  storeTimeout?: Duration;
  /** The time (epoch ms), for every decision tessera makes: timeouts, expiry, `Expires`. @default Date.now */
  clock?: () => number;
  /** Called for rejections, conflicts and store errors. Must not throw. */
  onEvent?: (event: SessionEvent) => void;
  /**
   * Sessions of the library this app used before (`expressSessionMigration`, `flaskSessionMigration` from
   * `tessera/migrate`): a request with its cookie and no tessera session is signed in from it once, and the old
   * session and cookie are retired.
   */
  migrate?: readonly Migration[];
}

/** The defaults of `createSessions`' options. */
export const defaults = Object.freeze({
  /** @default "24h" */
  idleTimeout: "24h",
  /** @default "30d" */
  absoluteTimeout: "30d",
  /** @default "5s" */
  storeTimeout: "5s",
  /** @default 1000 */
  decodeCacheSize: 1000,
  /** @default 65536 */
  maxRecordBytes: 65536,
} as const);

/** @internal Bounds on the work one request can cause; not options, since no application needs to move them. */
export const limits = Object.freeze({
  /** Sliding renewal is written at most once per idleTimeout / touchFraction unless `touchAfter` says otherwise. */
  touchFraction: 10,
  /**
   * Session cookie values read from one Cookie header at most; a header a server accepts (16 KiB in Node.js)
   * holds fewer. Junk never pushes a user's own cookie out: see `maxLookups` and `maxOpenAttempts`.
   */
  maxCandidates: 1024,
  /**
   * Store mode: store reads per request at most. Only values whose tag verifies (values this app made) are looked
   * up, so forged or garbled values never count.
   */
  maxLookups: 8,
  /**
   * Cookie mode: cookie values put through decryption (or signature checks) per request at most. Values a codec
   * refuses as malformed before any cryptography never count.
   */
  maxOpenAttempts: 32,
  /**
   * Cookie mode with `cookie.chunks`: values read for each chunk name at most (a browser sends one per path and
   * domain that set it), and values joined from them and tried at most, so a chunk planted beside the real one does
   * not hide it and a header of chunk names costs little.
   */
  maxChunkValues: 4,
  maxChunkJoins: 8,
  /** Rejection events per request at most, so a header stuffed with junk is not as many log lines. */
  maxRejectionEvents: 8,
  /** Compare-and-set attempts before `ERR_SESSION_CONFLICT` (writers in this process queue, so only other processes race). */
  maxWriteAttempts: 32,
} as const);

/** The longest delay setTimeout honours (a signed 32-bit count of ms); a longer one fires after 1 ms. */
const maxTimerMs = 2 ** 31 - 1;

/** @internal `createSessions`' options, checked and resolved once; what every part of the manager reads. */
export interface ResolvedOptions {
  ring: KeyRing;
  cookie: CookieSettings;
  policy: TimeoutPolicy;
  storeTimeoutMs: number;
  clock: () => number;
  /** `trustProxy` as a hop count. */
  trustProxy: number;
  maxRecordBytes: number;
  decodeCacheSize: number;
  /** Exactly one of `store` and `codec` is set. */
  store: Store | undefined;
  codec: Codec | undefined;
  /** Reports an event to `onEvent`; a listener that throws is ignored. */
  emit: (event: SessionEvent) => void;
}

/**
 * @internal
 * Checks every option, naming the one at fault, and resolves defaults, so a misconfiguration stops the start and
 * not a request.
 *
 * @example
 * const resolved = resolveOptions({ secrets: [process.env.SECRET_KEY!] });
 */
export function resolveOptions(options: SessionsOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new TesseraError("ERR_INVALID_OPTION", "`createSessions` needs an options object with `secrets`");
  }
  const ring = createKeyRing(options.secrets);
  const cookie = resolveCookieOptions(options.cookie);
  const idleMs = toMilliseconds(options.idleTimeout ?? defaults.idleTimeout, "idleTimeout");
  const absoluteMs = toMilliseconds(options.absoluteTimeout ?? defaults.absoluteTimeout, "absoluteTimeout");
  const policy: TimeoutPolicy = {
    idleMs,
    absoluteMs,
    touchAfterMs: options.touchAfter === undefined ? Math.floor(idleMs / limits.touchFraction) : toMilliseconds(options.touchAfter, "touchAfter"),
  };
  if (policy.touchAfterMs >= idleMs) {
    throw new TesseraError("ERR_INVALID_OPTION", "`touchAfter` must be shorter than `idleTimeout`");
  }
  const storeTimeoutMs = toMilliseconds(options.storeTimeout ?? defaults.storeTimeout, "storeTimeout");
  // setTimeout fires at once for delays over 2^31 - 1 ms, which would fail every store call.
  if (storeTimeoutMs > maxTimerMs) throw new TesseraError("ERR_INVALID_OPTION", "`storeTimeout` must be at most 24 days");
  const maxRecordBytes = options.maxRecordBytes ?? defaults.maxRecordBytes;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 256) {
    throw new TesseraError("ERR_INVALID_OPTION", "`maxRecordBytes` must be a whole number of bytes, 256 or more");
  }
  const decodeCacheSize = options.decodeCacheSize ?? defaults.decodeCacheSize;
  if (!Number.isSafeInteger(decodeCacheSize) || decodeCacheSize < 0) {
    throw new TesseraError("ERR_INVALID_OPTION", "`decodeCacheSize` must be a whole number, 0 or more");
  }
  const store = options.store;
  const compress = options.compress ?? false;
  if (typeof compress !== "boolean") throw new TesseraError("ERR_INVALID_OPTION", "`compress` must be true or false");
  if (store !== undefined && compress) {
    throw new TesseraError("ERR_INVALID_OPTION", "`compress` is for cookie mode: with a `store`, the cookie holds only a token");
  }
  if (store !== undefined && cookie.chunks) {
    throw new TesseraError("ERR_INVALID_OPTION", "`cookie.chunks` is for cookie mode: with a `store`, the cookie holds only a token");
  }
  if (compress && options.codec !== undefined && typeof options.codec !== "string") {
    throw new TesseraError("ERR_INVALID_OPTION", '`compress` works with the "sealed" and "signed" codecs; another service reading a codec of its own (JWT, Flask) would not expect it');
  }
  const onEvent = options.onEvent;
  return {
    ring,
    cookie,
    policy,
    storeTimeoutMs,
    clock: options.clock ?? Date.now,
    trustProxy: hopsOf(options.trustProxy),
    maxRecordBytes,
    decodeCacheSize,
    store,
    codec: store ? undefined : pickCodec(options.codec ?? "sealed", ring, { compress, maxInflatedBytes: maxRecordBytes }),
    emit: (event) => {
      if (!onEvent) return;
      try {
        onEvent(event);
      } catch {
        // A listener's failure must not turn into a failed request.
      }
    },
  };
}

/**
 * @internal
 * The `trustProxy` option as a hop count.
 *
 * @example
 * hopsOf(true); // 1
 */
export function hopsOf(trustProxy: boolean | number | undefined): number {
  if (trustProxy === undefined || trustProxy === false) return 0;
  if (trustProxy === true) return 1;
  if (!Number.isSafeInteger(trustProxy) || trustProxy < 0 || trustProxy > 32) {
    throw new TesseraError("ERR_INVALID_OPTION", "`trustProxy` must be true, false or a number of proxies from 0 to 32");
  }
  return trustProxy;
}

function pickCodec(choice: "sealed" | "signed" | Codec, ring: KeyRing, compression: CompressionOptions): Codec {
  if (choice === "sealed") return createSealedCodec(ring, jsonSerializer, compression);
  if (choice === "signed") return createSignedCodec(ring, jsonSerializer, compression);
  if (choice && typeof choice.encode === "function" && typeof choice.decode === "function") return choice;
  throw new TesseraError("ERR_INVALID_OPTION", '`codec` must be "sealed", "signed" or a Codec');
}
