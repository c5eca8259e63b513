// tessera: session management for TypeScript web servers. The core entry point loads no database driver.

export { createSessions, defaults, factsOf, applyChanges, varyWithCookie } from "./manager/sessions.js";
export type {
  RequestFacts,
  ResponseChanges,
  Sessions,
  SessionsOptions,
  UserSessionInfo,
} from "./manager/sessions.js";
export type { SessionEvent, RejectionReason } from "./manager/events.js";
export { Session } from "./core/session.js";
export { TesseraError, StoreUnavailableError, CodecError, isTesseraError, isStoreUnavailable } from "./core/errors.js";
export type { TesseraErrorCode, CodecFailure } from "./core/errors.js";
export type { Duration } from "./core/duration.js";
export type { JsonValue, SessionData } from "./core/data.js";
export type { SessionMeta, SessionRecord } from "./core/record.js";
export type {
  Store,
  StoreFactory,
  StoredSession,
  ListedSession,
  StoreWriteOptions,
  StoreCallOptions,
  StoreCount,
  GcOptions,
  GcBatch,
  Awaitable,
} from "./core/store.js";
export type { Codec, CodecContext, Decoded } from "./core/codec.js";
export type { CookieOptions } from "./cookie/options.js";
export type { Secret, KeyRing } from "./crypto/keyring.js";
export { createSealedCodec } from "./codecs/sealed.js";
export { createSignedCodec } from "./codecs/signed.js";
export { createKeyRing } from "./crypto/keyring.js";
export { encodeRecord, decodeRecord } from "./core/wire.js";
export { sessionExpiry } from "./manager/expiry.js";
export type { SessionExpiry, SessionExpiryOptions } from "./manager/expiry.js";
export { openTaggedToken } from "./crypto/token-tag.js";
export { hashToken } from "./crypto/tokens.js";
