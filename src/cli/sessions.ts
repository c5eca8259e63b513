// `tessera sessions list | revoke`: a user's sessions, and ending them, through createSessions' own operations.

import { randomBytes } from "node:crypto";
import { createSessions, type Sessions, type UserSessionInfo } from "../index.js";
import { CliError, describeError, exitCodes, parse, printJson, timeoutHelp, timeoutOptions, timeoutsOf, type Command, type Io } from "./command.js";
import { openStore, storeHelp, storeOptions, type OpenedStore } from "./store-url.js";
import { count, isoTime, table, when } from "./text.js";

const help = `Usage: tessera sessions list --store URL --user ID [--json]
       tessera sessions revoke --store URL --user ID (--all | --except SESSION_ID) [--json]

list     a user's live sessions, most recently seen first (what sessions.userSessions(userId) gives)
revoke   end a user's sessions (what sessions.revokeUserSessions(userId) does): --all ends every one,
         --except SESSION_ID keeps that one (an id from list, or from inspect's "session id")

Sessions are named by their at-rest id (SHA-256 of the cookie's token), never the token. Needs a store that indexes
sessions by user: SQLite, PostgreSQL or Redis (memcached cannot: exit 1).

Options:
${storeHelp}
  --user ID           the user id the application signs sessions in to
  --all               revoke: every session of the user
  --except SESSION_ID revoke: every session of the user but this one
${timeoutHelp}
  --json              print JSON
  -h, --help          this text

Exit codes: 0 done, 1 the store failed or cannot list users' sessions, 2 usage.`;

const options = {
  ...storeOptions,
  user: { type: "string" },
  all: { type: "boolean" },
  except: { type: "string" },
  ...timeoutOptions,
  json: { type: "boolean" },
} as const;

/** `tessera sessions`: `list` or `revoke`. */
export const sessions: Command = {
  name: "sessions",
  summary: "list a user's sessions, or end them (list | revoke)",
  help,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action === undefined || action === "--help" || action === "-h") {
      io.stdout.write(`${help}\n`);
      return action === undefined ? exitCodes.usage : exitCodes.ok;
    }
    if (action !== "list" && action !== "revoke") {
      throw new CliError(exitCodes.usage, "`tessera sessions` takes list or revoke; see `tessera sessions --help`");
    }
    const { values } = parse(rest, options, { command: `sessions ${action}` });
    if (values.help) {
      io.stdout.write(`${help}\n`);
      return exitCodes.ok;
    }
    const user = values.user;
    if (user === undefined || user === "") throw new CliError(exitCodes.usage, `\`tessera sessions ${action}\` needs --user ID`);
    if (action === "list" && (values.all || values.except !== undefined)) {
      throw new CliError(exitCodes.usage, "--all and --except are for `tessera sessions revoke`");
    }
    if (action === "revoke" && (values.all ? 1 : 0) + (values.except !== undefined ? 1 : 0) !== 1) {
      throw new CliError(exitCodes.usage, "`tessera sessions revoke` needs --all (every session of the user) or --except SESSION_ID (all but that one)");
    }
    const timeouts = timeoutsOf(values, io.env);
    const opened = await openStore(values.store, { table: values.table, prefix: values.prefix });
    // The application's own user operations. They read and write no cookie, so the key ring is never used: a random
    // key stands in, and the operator's secret is not needed.
    const manager = createSessions({ secrets: [randomBytes(32)], store: opened.store, ...timeouts });
    try {
      return action === "list" ? await list(manager, opened, user, io, values.json === true) : await revoke(manager, opened, user, values.except, io, values.json === true);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(exitCodes.refused, describeError(error, opened.sensitive));
    } finally {
      await manager.close();
    }
  },
};

async function list(manager: Sessions, opened: OpenedStore, user: string, io: Io, json: boolean): Promise<number> {
  const found = await manager.userSessions(user);
  if (json) {
    printJson(io, { store: opened.kind, user, sessions: found.map(toJson) });
    return exitCodes.ok;
  }
  const now = Date.now();
  io.stdout.write(`${count(found.length)} live session${found.length === 1 ? "" : "s"} of ${user} in ${opened.kind}\n`);
  if (found.length > 0) io.stdout.write(`${table(["SESSION ID", "CREATED", "LAST SEEN", "USER AGENT"], found.map((s) => row(s, now)))}\n`);
  return exitCodes.ok;
}

async function revoke(manager: Sessions, opened: OpenedStore, user: string, except: string | undefined, io: Io, json: boolean): Promise<number> {
  const before = await manager.userSessions(user);
  if (except !== undefined && !before.some((s) => s.id === except)) {
    // Keeping a session the user does not have would end them all: refuse, so a typo never signs everyone out.
    throw new CliError(exitCodes.refused, `${user} has no live session with that id: nothing was revoked (see \`tessera sessions list\`)`);
  }
  const ended = await manager.revokeUserSessions(user, except === undefined ? undefined : { except });
  const after = new Set((await manager.userSessions(user)).map((s) => s.id));
  if (json) {
    printJson(io, { store: opened.kind, user, revoked: ended, sessions: before.map((s) => ({ ...toJson(s), ended: !after.has(s.id) })) });
    return exitCodes.ok;
  }
  const now = Date.now();
  io.stdout.write(`revoked ${count(ended)} session${ended === 1 ? "" : "s"} of ${user} in ${opened.kind}${except === undefined ? "" : ", kept 1"}\n`);
  if (before.length > 0) {
    io.stdout.write(`${table(["SESSION ID", "CREATED", "LAST SEEN", "USER AGENT", "STATUS"], before.map((s) => [...row(s, now), after.has(s.id) ? "kept" : "ended"]))}\n`);
  }
  return exitCodes.ok;
}

function row(session: UserSessionInfo, now: number): string[] {
  return [session.id, when(session.createdAt, now), when(session.lastSeenAt, now), session.userAgent ?? "-"];
}

function toJson(session: UserSessionInfo) {
  return { id: session.id, createdAt: isoTime(session.createdAt), lastSeenAt: isoTime(session.lastSeenAt), userAgent: session.userAgent ?? null };
}

