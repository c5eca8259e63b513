// tessera/migrate: sessions of the library an app used before, read once so that nobody is signed out.

export { expressSessionMigration, defaults as expressSessionDefaults } from "./express-session.js";
export type { ExpressSessionMigrationOptions, ExpressSessionStore } from "./express-session.js";
export { expressSecrets, signExpressSessionId, verifyExpressSessionId } from "./express-signature.js";
export type { ExpressCookieFailure, ExpressSecrets } from "./express-signature.js";
export type { LegacyCookieOptions } from "./legacy-cookie.js";
export type { LegacyLookup, LegacySession, Migration, MigrationCallOptions, MigrationFactory, MigrationRejection } from "../core/migration.js";
export { flaskSessionMigration, defaults as flaskSessionDefaults } from "./flask-session.js";
export type { FlaskSessionMigrationOptions, FlaskSessionRedis } from "./flask-session.js";
export { flaskSessionKeys, signFlaskSessionId, verifyFlaskSessionId } from "./flask-session-signer.js";
export type { FlaskSessionKeys } from "./flask-session-signer.js";
export { decodeFlaskSessionRecord, isPickle } from "./flask-session-record.js";
export type { DecodedFlaskRecord, FlaskRecordFailure } from "./flask-session-record.js";
