// tessera: session management for TypeScript web servers. The core entry point loads no database driver.

export { createSessions, applyChanges, factsOf } from "./adapters/fetch/index.js";
export type { Sessions } from "./adapters/fetch/index.js";
export { varyWithCookie } from "./adapters/http.js";
export { defaults } from "./manager/options.js";
export type { SessionsOptions } from "./manager/options.js";
export type { CommitOptions, RequestFacts, SessionManager } from "./manager/sessions.js";
export type { ResponseChanges } from "./manager/changes.js";
export type { UserSessionInfo, UserSessions } from "./manager/user-sessions.js";
export type { SessionEvent, RejectionReason, MigrationSkip } from "./manager/events.js";
export type { Migration, MigrationFactory, MigrationCallOptions, LegacySession, LegacyLookup, MigrationRejection } from "./core/migration.js";
export { Session } from "./core/session.js";
export { TesseraError, StoreUnavailableError, CodecError, isTesseraError, isStoreUnavailable } from "./core/errors.js";
export type { TesseraErrorCode, CodecFailure } from "./core/errors.js";
export type { Duration } from "./core/duration.js";
export type { JsonValue, SessionData } from "./core/data.js";
export type { SessionMeta, SessionRecord } from "./core/record.js";
export type { Store, StoreFactory, StoredSession, ListedSession, StoreWriteOptions, StoreCallOptions, StoreDeleteOptions, Awaitable } from "./core/store.js";
export type { Codec, CodecContext, Decoded } from "./core/codec.js";
export type { CookieOptions } from "./cookie/options.js";
export type { Secret, KeyRing } from "./crypto/keyring.js";
export type { PayloadSerializer } from "./codecs/json.js";
export { createSealedCodec } from "./codecs/sealed.js";
export { createSignedCodec } from "./codecs/signed.js";
export { createKeyRing } from "./crypto/keyring.js";
export { encodeRecord, decodeRecord } from "./core/wire.js";
