// tessera/migrate: sessions of the library an app used before, read once so that nobody is signed out.

export { expressSessionMigration, defaults as expressSessionDefaults } from "./express-session.js";
export type { ExpressSessionMigrationOptions, ExpressSessionStore } from "./express-session.js";
export { expressSecrets, signExpressSessionId, verifyExpressSessionId } from "./express-signature.js";
export type { ExpressCookieFailure, ExpressSecrets } from "./express-signature.js";
export type { LegacyCookieOptions } from "./legacy-cookie.js";
export type { LegacyLookup, LegacySession, Migration, MigrationCallOptions, MigrationFactory, MigrationRejection } from "../core/migration.js";
