// Session data typed from a schema: `createSessions({ schema })` infers the data from the schema's output, for zod,
// valibot and arktype alike, over the app's TesseraSessionData. Each `@ts-expect-error` names the error code
// `test/types.test.ts` checks the line fails with.

import { type } from "arktype";
import { createSessions, type Session } from "tessera";
import { honoSessions } from "tessera/hono";
import { Hono } from "hono";
import * as v from "valibot";
import { z } from "zod";

const secrets = ["an example secret that is 32 bytes or longer"];

const zodSessions = createSessions({
  secrets,
  schema: z.object({ cart: z.array(z.string()), theme: z.enum(["light", "dark"]).default("light") }),
  dataVersion: 2,
  migrate: (data, fromVersion) => (fromVersion < 2 ? { cart: [], ...data } : data),
});

export async function withZod(request: Request): Promise<Response> {
  const session = await zodSessions.load(request);
  const cart: readonly string[] | undefined = session.get("cart");
  session.set("theme", "dark");
  // @ts-expect-error TS2345 a key the schema does not have
  session.set("username", "alice");
  // @ts-expect-error TS2345 a value the schema's type refuses
  session.set("theme", "blue");
  // @ts-expect-error TS2322 the schema's output type, not any JSON
  const count: number | undefined = session.get("cart");
  return zodSessions.commit(session, new Response(`${cart?.length} ${count}`));
}

const valibotSessions = createSessions({ secrets, schema: v.object({ visits: v.number() }) });

export async function withValibot(request: Request): Promise<Response> {
  const session: Session<{ visits: number }> = await valibotSessions.load(request);
  session.update("visits", (n) => (n ?? 0) + 1);
  // @ts-expect-error TS2322 valibot's output type reaches `update`
  session.update("visits", () => "many");
  return valibotSessions.commit(session, new Response("ok"));
}

const arkSessions = createSessions({ secrets, schema: type({ "username?": "string" }) });

export async function withArktype(request: Request): Promise<Response> {
  const session = await arkSessions.load(request);
  const name: string | undefined = session.get("username");
  // @ts-expect-error TS2345 arktype's output type reaches `set`
  session.set("username", 42);
  return arkSessions.commit(session, new Response(name ?? ""));
}

// Adapters that take the sessions object carry its data type, as Hono's `c.get("session")` does.
const app = new Hono().use(honoSessions(zodSessions));
app.get("/", (c) => {
  const session = c.get("session");
  // @ts-expect-error TS2345 a key the schema does not have, through Hono's context
  session.set("username", "alice");
  return c.text(String(session.get("cart")?.length ?? 0));
});

// @ts-expect-error TS2322 migrations from another library moved to `migrateFrom`
createSessions({ secrets, migrate: [] });
