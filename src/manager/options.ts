// createSessions' options: their types, their defaults, and the one place they are checked and resolved.

import type { Codec } from "../core/codec.js";
import type { DeclaredSessionData, SessionData } from "../core/data.js";
import { toMilliseconds, type Duration } from "../core/duration.js";
import { TesseraError } from "../core/errors.js";
import type { TimeoutPolicy } from "../core/policy.js";
import type { Migration } from "../core/migration.js";
import type { StandardSchemaV1 } from "../core/standard-schema.js";
import type { Store } from "../core/store.js";
import { createKeyRing, type KeyRing, type Secret } from "../crypto/keyring.js";
import { resolveCookieOptions, type CookieOptions, type CookieSettings } from "../cookie/options.js";
import { createSealedCodec, type SealedCipher } from "../codecs/sealed.js";
import { createSignedCodec } from "../codecs/signed.js";
import { createDataRules, type DataMigration, type DataRules } from "./data-schema.js";
import { jsonSerializer } from "../codecs/json.js";
import type { CompressionOptions } from "../codecs/deflate.js";
import type { SessionEvent } from "./events.js";
import { isTelemetry, reportKeys, type Telemetry } from "./telemetry.js";

/**
 * Cookie mode's revocation: where each user's revocation record lives, and how long this process trusts the copy it
 * last read.
 */
export interface RevocationOptions {
  /** Any tessera store (memory for one process; SQLite, Redis, PostgreSQL, memcached, connect shared by many). */
  store: Store;
  /**
   * How long a user's revocation record read from the store is reused before it is read again: a revocation made on
   * another process is seen here at most this long after. One made on this process takes effect here at once. 0
   * reads the store on every request of a signed-in session. @default "5s"
   */
  cacheFor?: Duration | 0;
}

/** Options of `createSessions`; `D` is the session data, inferred from `schema` when there is one. */
export interface SessionsOptions<D extends SessionData = DeclaredSessionData> {
  /** Secrets of 32 bytes or more: the first signs and seals, every one verifies. Required; there is no default. */
  secrets: readonly Secret[];
  /** Where sessions live. Leave out for cookie mode: the whole session sealed (or signed) in the cookie. */
  store?: Store;
  /** Cookie mode's codec. @default "sealed" */
  codec?: "sealed" | "signed" | Codec;
  /**
   * Cookie mode, sealed codec: the cipher new cookies are sealed with; cookies sealed with either always open, so a
   * change rolls out without logging anyone out. `"xchacha20-poly1305"` costs about a quarter of AES-256-GCM per
   * cookie with sodium-native installed (an optional peer; without it node:crypto serves, no faster). It needs Node.js,
   * Bun or Deno: a Web-Crypto-only runtime (Workers, an edge function) cannot open such cookies, so an app that
   * shares its cookie with one keeps the default. @default "aes-256-gcm"
   */
  cipher?: SealedCipher;
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
  /**
   * Store mode: the session moves to a new token once its token is this old (OWASP's renewal timeout), without the
   * user noticing; the old token keeps working for `renewalGrace`, then it is dead. Off when left out.
   */
  renewAfter?: Duration;
  /**
   * With `renewAfter`: how long requests still carrying the replaced token reach the session (and are handed the
   * new cookie), from 1 second to 5 minutes, and shorter than `renewAfter`. @default "30s"
   */
  renewalGrace?: Duration;
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
  migrateFrom?: readonly Migration[];
  /**
   * A Standard Schema (zod, valibot, arktype, ...) for the session data: a stored session whose data fails it is no
   * session (a `data_rejected` event and a fresh anonymous one), and data that fails it at commit is
   * `ERR_INVALID_SESSION_DATA`, with nothing written. The schema's output is what the session holds and what is
   * stored, so its transforms must accept their own output (defaults, trimming, dropping unknown keys). The session's
   * type is inferred from it.
   */
  schema?: StandardSchemaV1<unknown, D>;
  /** The version of the data's shape, written in every record; raise it with a `migrate` step. @default 1 */
  dataVersion?: number;
  /**
   * `migrate(data, fromVersion)`: data written under an older `dataVersion`, turned into the current shape on read
   * (then checked by `schema`) and written back under the new version at commit. May be async; if it throws, the
   * session is `data_rejected`. Migrations from another library's sessions are `migrateFrom`.
   */
  migrate?: DataMigration;
  /**
   * Cookie mode: a store (or `{ store, cacheFor }`) that makes sign-out final. Each signed-in cookie carries a random
   * session id; a small record per user there refuses every cookie signed in before `revokeUserSessions` and every
   * copy of a session that `destroy` or `revokeSession` ended. Anonymous sessions never read it. Not with `store`:
   * store mode revokes sessions in the store itself.
   */
  revocation?: Store | RevocationOptions;
  /**
   * Spans around store calls and counters of what sessions do: `openTelemetry()` from `tessera/opentelemetry`, or
   * your own `Telemetry`. Left out, the manager reports nothing and pays nothing.
   */
  telemetry?: Telemetry;
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
  /** @default "30s" */
  renewalGrace: "30s",
  /** `revocation.cacheFor`. @default "5s" */
  revocationCacheFor: "5s",
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
  /** Store mode: cookie values whose tag verified remembered with their at-rest id, so a repeat visit skips both. */
  verifiedTokenCacheSize: 1000,
  /** Rejection events per request at most, so a header stuffed with junk is not as many log lines. */
  maxRejectionEvents: 8,
  /** Compare-and-set attempts before `ERR_SESSION_CONFLICT` (writers in this process queue, so only other processes race). */
  maxWriteAttempts: 32,
  /**
   * Renewal: forwarders followed from one token at most. A successor is renewed again only `renewAfter` later, when
   * the grace of the forwarder before it is long over, so a live chain is one hop; two allow for clocks apart.
   */
  maxRenewalHops: 2,
  /** The longest `renewalGrace`: a replaced token (maybe a stolen one) works no longer than this. */
  maxRenewalGraceMs: 5 * 60_000,
  /** The shortest `renewalGrace`: less would fail requests merely slow to arrive. */
  minRenewalGraceMs: 1000,
  /** Cookie mode's revocation: users whose revocation record is remembered at most (oldest read first out). */
  revocationCacheSize: 10_000,
  /**
   * Cookie mode's revocation: sessions signed out one by one kept in a user's record at most, until each could no
   * longer be alive; one more ends all the user's sessions signed in before it, and the list starts again.
   */
  maxRevokedSessions: 100,
} as const);

/** The longest delay setTimeout honours (a signed 32-bit count of ms); a longer one fires after 1 ms. */
const maxTimerMs = 2 ** 31 - 1;

/** @internal `renewAfter` and `renewalGrace` in milliseconds. */
export interface RenewalPolicy {
  afterMs: number;
  graceMs: number;
}

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
  /** Store mode's token renewal (`renewAfter`, `renewalGrace`), or undefined when it is off. */
  renewal: RenewalPolicy | undefined;
  /** Cookie mode's revocation store and `cacheFor` in ms; undefined without the `revocation` option. */
  revocation: { store: Store; cacheForMs: number } | undefined;
  /** Exactly one of `store` and `codec` is set. */
  store: Store | undefined;
  codec: Codec | undefined;
  /** Reports an event to `onEvent` and `telemetry`; a listener that throws is ignored. */
  emit: (event: SessionEvent) => void;
  /** The `telemetry` option: store calls go through it. */
  telemetry: Telemetry | undefined;
  /** With `telemetry`: a mode calls it with the index of the key that opened a session it loads. */
  keyOpened: ((keyIndex: number) => void) | undefined;
  /** `schema`, `dataVersion` and `migrate`; undefined when none is set. */
  data: DataRules | undefined;
}

/**
 * @internal
 * Checks every option, naming the one at fault, and resolves defaults, so a misconfiguration stops the start and
 * not a request.
 *
 * @example
 * const resolved = resolveOptions({ secrets: [process.env.SECRET_KEY!] });
 */
export function resolveOptions(options: SessionsOptions<SessionData>): ResolvedOptions {
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
  const data = createDataRules(options);
  const store = options.store;
  const renewal = resolveRenewal(options, store, absoluteMs);
  const revocation = resolveRevocation(options.revocation, store);
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
  if (options.cipher !== undefined && (store !== undefined || (options.codec ?? "sealed") !== "sealed")) {
    throw new TesseraError("ERR_INVALID_OPTION", '`cipher` is for cookie mode\'s sealed codec (no `store`, `codec: "sealed"`)');
  }
  const telemetry = options.telemetry;
  if (telemetry !== undefined && !isTelemetry(telemetry)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`telemetry` must be what `openTelemetry()` returns, or an object with `event`, `storeCall` and `sessionLoaded` functions");
  }
  // The codec's own keys (jwt, flask, yours) are not the ring's: its key index is named by the codec instead.
  const codecOwnsKeys = store === undefined && typeof options.codec === "object";
  return {
    ring,
    cookie,
    policy,
    storeTimeoutMs,
    clock: options.clock ?? Date.now,
    trustProxy: hopsOf(options.trustProxy),
    maxRecordBytes,
    decodeCacheSize,
    renewal,
    revocation,
    store,
    codec: store ? undefined : pickCodec(options.codec ?? "sealed", ring, { cipher: options.cipher, compress, maxInflatedBytes: maxRecordBytes }),
    emit: (event) => {
      try {
        onEvent?.(event);
      } catch {
        // A listener's failure must not turn into a failed request.
      }
      if (telemetry === undefined) return;
      try {
        telemetry.event(event);
      } catch {
        // Nor may counting.
      }
    },
    telemetry,
    keyOpened: telemetry && reportKeys(telemetry, ring, codecOwnsKeys ? (options.codec as Codec).name : undefined),
    data,
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

/** `renewAfter` and `renewalGrace`, checked together: renewal needs a store, and a grace shorter than it. */
function resolveRenewal(options: SessionsOptions, store: Store | undefined, absoluteMs: number): RenewalPolicy | undefined {
  if (options.renewAfter === undefined) {
    if (options.renewalGrace !== undefined) throw new TesseraError("ERR_INVALID_OPTION", "`renewalGrace` needs `renewAfter`");
    return undefined;
  }
  if (!store) {
    throw new TesseraError(
      "ERR_INVALID_OPTION",
      "`renewAfter` needs a `store`: in cookie mode there is no token to replace (the cookie is sealed afresh whenever it is written)",
    );
  }
  const afterMs = toMilliseconds(options.renewAfter, "renewAfter");
  const graceMs = toMilliseconds(options.renewalGrace ?? defaults.renewalGrace, "renewalGrace");
  if (afterMs >= absoluteMs) throw new TesseraError("ERR_INVALID_OPTION", "`renewAfter` must be shorter than `absoluteTimeout`");
  if (graceMs < limits.minRenewalGraceMs || graceMs > limits.maxRenewalGraceMs) {
    throw new TesseraError("ERR_INVALID_OPTION", "`renewalGrace` must be from 1 second to 5 minutes");
  }
  if (graceMs >= afterMs) throw new TesseraError("ERR_INVALID_OPTION", "`renewalGrace` must be shorter than `renewAfter`");
  return { afterMs, graceMs };
}

function resolveRevocation(option: Store | RevocationOptions | undefined, store: Store | undefined): ResolvedOptions["revocation"] {
  if (option === undefined) return undefined;
  if (store !== undefined) {
    throw new TesseraError("ERR_INVALID_OPTION", "`revocation` is for cookie mode: with `store`, sessions are revoked in the store itself (leave `revocation` out)");
  }
  const given = isStore(option) ? { store: option } : option;
  if (given === null || typeof given !== "object" || !isStore(given.store)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`revocation` must be a tessera store or { store, cacheFor }");
  }
  const cacheFor = given.cacheFor ?? defaults.revocationCacheFor;
  return { store: given.store, cacheForMs: cacheFor === 0 ? 0 : toMilliseconds(cacheFor, "revocation.cacheFor") };
}

/** Whether `value` has the methods of the Store contract revocation calls. */
function isStore(value: unknown): value is Store {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<Record<keyof Store, unknown>>;
  return ["get", "create", "update", "delete", "close"].every((method) => typeof candidate[method as keyof Store] === "function");
}

function pickCodec(choice: "sealed" | "signed" | Codec, ring: KeyRing, options: { cipher: SealedCipher | undefined } & CompressionOptions): Codec {
  const { cipher, ...compression } = options;
  if (choice === "sealed") return createSealedCodec(ring, cipher === undefined ? compression : { cipher, ...compression });
  if (choice === "signed") return createSignedCodec(ring, jsonSerializer, compression);
  if (choice && typeof choice.encode === "function" && typeof choice.decode === "function") return choice;
  throw new TesseraError("ERR_INVALID_OPTION", '`codec` must be "sealed", "signed" or a Codec');
}
