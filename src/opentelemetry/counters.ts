// Which OpenTelemetry counter each session event adds to, with which attributes: one line per event type.

import type { Attributes } from "@opentelemetry/api";
import type { SessionEvent } from "../manager/events.js";

/** A counter an event adds to: its name, what it counts, the event's attributes (bounded sets of values only), and how much it adds (1 unless said). */
export interface EventCounter<E> {
  name: string;
  description: string;
  attributes?: (event: E) => Attributes;
  /** For an event that stands for several things at once, such as a revocation ending n sessions. */
  value?: (event: E) => number;
}

type EventOf<T extends SessionEvent["type"]> = Extract<SessionEvent, { type: T }>;

/**
 * Every event type's counter. The type lists them all, so a new event type does not compile until it has its line
 * here (`undefined` for an event not worth counting). Attribute values come from small fixed sets (reasons, store
 * names, operations, error codes), never from a token, a cookie value, an id or a user.
 */
export const eventCounters: { readonly [T in SessionEvent["type"]]: EventCounter<EventOf<T>> | undefined } = {
  session_created: { name: "tessera.sessions.created", description: "Session ids written to a store: new sessions and rotated ones", attributes: (e) => ({ "tessera.store.name": e.store }) },
  cookie_rejected: { name: "tessera.sessions.rejected", description: "Session cookie values that gave no session, by reason", attributes: (e) => ({ "tessera.reason": e.reason }) },
  session_regenerated: { name: "tessera.sessions.regenerated", description: "Sessions given a new id by regenerate or signIn" },
  session_destroyed: { name: "tessera.sessions.destroyed", description: "Sessions ended by destroy" },
  cookie_reissued: { name: "tessera.cookies.reissued", description: "Session cookies re-issued under the first secret", attributes: (e) => ({ "tessera.reason": e.reason }) },
  write_conflict: { name: "tessera.write_conflicts", description: "Compare-and-set writes lost to another process's write, each retried" },
  session_gone: { name: "tessera.sessions.gone", description: "Requests whose session another request ended while they ran, so nothing was written back" },
  record_rejected: { name: "tessera.records.rejected", description: "Stored records that did not decode, treated as no session", attributes: (e) => ({ "tessera.reason": e.reason }) },
  store_error: { name: "tessera.store.errors", description: "Store calls that failed or timed out", attributes: (e) => ({ "tessera.store.operation": e.operation, "error.type": e.code }) },
  session_migrated: { name: "tessera.sessions.migrated", description: "Sessions of another library that became tessera sessions", attributes: (e) => ({ "tessera.migration.from": e.from }) },
  session_renewed: { name: "tessera.sessions.renewed", description: "Session tokens replaced by renewAfter, the old one forwarding for renewalGrace" },
  sessions_revoked: { name: "tessera.sessions.revoked", description: "Revocations: every session of a user, or one session by its id", attributes: (e) => ({ "tessera.scope": e.scope }) },
  data_rejected: { name: "tessera.data.rejected", description: "Stored session data that schema, migrate or dataVersion refused, by reason", attributes: (e) => ({ "tessera.reason": e.reason }) },
  migration_rejected: { name: "tessera.migrations.rejected", description: "Legacy sessions that gave no tessera session, by reason", attributes: (e) => ({ "tessera.migration.from": e.from, "tessera.reason": e.reason }) },
};

/** The counter of sessions loaded, by the key that opened their cookie, so a secret can be retired once it opens none. */
export const loadedCounter = {
  name: "tessera.sessions.loaded",
  description: "Sessions loaded from a request's cookie, by the id of the key that opened it",
} as const;
