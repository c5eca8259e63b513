// The `telemetry` option's contract: what the manager reports as it works (events, store calls, the key that opened
// each session), and the hook a mode calls when a session loads.

import type { KeyRing } from "../crypto/keyring.js";
import type { SessionEvent } from "./events.js";

/** One store call, as `Telemetry.storeCall` is told of it: never an id, a token or a user. */
export interface StoreCallInfo {
  /** The store's name, such as `"redis"`. */
  store: string;
  /** The Store method called: `get`, `create`, `update`, `delete`, `listByUser` or `deleteByUser`. */
  operation: string;
}

/** A session loaded from a request's cookie, and which key opened it. */
export interface SessionLoad {
  /**
   * The key that verified the cookie: for a secret of `secrets` (store mode, and the `"sealed"` and `"signed"`
   * codecs) its public 4-byte id as 8 hex digits, the id a sealed or signed cookie carries in the clear; for a codec
   * with keys of its own (`jwtCodec`, `flaskCodec`, your own), the codec's name and the key's position, `"jwt#1"`.
   */
  keyId: string;
}

/**
 * What the `telemetry` option takes: `openTelemetry()` from `tessera/opentelemetry`, or your own. The manager calls
 * it only when it is given, so an app without it pays nothing. None of what it is handed holds a token, a cookie
 * value, a session id or a secret. Its methods must not throw; `event` and `sessionLoaded` that throw are ignored.
 *
 * @example
 * const telemetry: Telemetry = {
 *   event: (event) => counts.set(event.type, (counts.get(event.type) ?? 0) + 1),
 *   storeCall: (info, call) => call(),
 *   sessionLoaded: ({ keyId }) => loadsByKey.set(keyId, (loadsByKey.get(keyId) ?? 0) + 1),
 * };
 * createSessions({ secrets, store, telemetry });
 */
export interface Telemetry {
  /** Every event, as `onEvent` receives it. */
  event(event: SessionEvent): void;
  /** Runs one store call (`call`, already under `storeTimeout`), with whatever it wraps around it; answers what `call` answers. */
  storeCall<T>(info: StoreCallInfo, call: () => Promise<T>): Promise<T>;
  /** A request's cookie gave a live session. */
  sessionLoaded(load: SessionLoad): void;
}

/**
 * @internal
 * Whether `value` has the shape of `Telemetry`, checked once at start-up.
 *
 * @example
 * if (!isTelemetry(options.telemetry)) throw new TesseraError("ERR_INVALID_OPTION", "...");
 */
export function isTelemetry(value: unknown): value is Telemetry {
  if (value === null || typeof value !== "object") return false;
  const { event, storeCall, sessionLoaded } = value as Partial<Telemetry>;
  return typeof event === "function" && typeof storeCall === "function" && typeof sessionLoaded === "function";
}

/**
 * @internal
 * The hook a mode calls with the index of the key that opened a session: it names the key (see `SessionLoad.keyId`)
 * and tells `telemetry`. `codecName` is set for a codec whose `keyIndex` counts keys of its own, not the ring's.
 *
 * @example
 * const keyOpened = reportKeys(telemetry, ring, undefined);
 * keyOpened(1); // telemetry.sessionLoaded({ keyId: "9c0e4f2a" })
 */
export function reportKeys(telemetry: Telemetry, ring: KeyRing, codecName: string | undefined): (keyIndex: number) => void {
  const ringIds = ring.keys.map((keys) => Array.from(keys.id, (byte) => byte.toString(16).padStart(2, "0")).join(""));
  const loads = new Map<number, SessionLoad>();
  return (keyIndex) => {
    let load = loads.get(keyIndex);
    if (load === undefined) {
      load = Object.freeze({ keyId: codecName === undefined ? (ringIds[keyIndex] ?? `#${keyIndex}`) : `${codecName}#${keyIndex}` });
      // A codec's index is a small number of keys; a misbehaving codec cannot grow this past a few hundred entries.
      if (loads.size < 256) loads.set(keyIndex, load);
    }
    try {
      telemetry.sessionLoaded(load);
    } catch {
      // Counting must not turn into a failed request.
    }
  };
}
