// tessera/next: sessions in the Next.js App Router (Route Handlers, Server Actions, Server Components; Node.js and edge).

export { getSession, commitSession, readSession } from "./session.js";
export type { ReadonlySession } from "./session.js";
export { sessionAction } from "./action.js";
export { withSession } from "./route.js";
export type { SessionRouteHandler, WithSessionOptions } from "./route.js";
