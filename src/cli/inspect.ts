// `tessera inspect <cookie>`: what a session cookie is, whether it verifies, which key opened it, and what it holds.

import { readFileSync } from "node:fs";
import { sessionExpiry, type SessionRecord, type Store } from "../index.js";
import { CliError, describeError, exitCodes, parse, printJson, timeoutHelp, timeoutOptions, timeoutsOf, type Command, type Io, type Timeouts } from "./command.js";
import { cookieFormats, detectFormat, type FailureReason, type FormatContext, type Opened } from "./formats.js";
import { defaultSecretEnv, readKeys } from "./secrets.js";
import { openStore, storeHelp, storeOptions, type OpenedStore } from "./store-url.js";
import { block, isoTime, when } from "./text.js";

const help = `Usage: tessera inspect <cookie> [options]

Opens a session cookie with the application's keys and prints what it is: the format, whether it verifies, which
key opened it (by index, never the key), created / last seen / idle and absolute expiry, the user, and the data.
<cookie> is the value, name=value, a whole Cookie header ("Cookie: a=1; sid=..."), or - to read it from stdin
(keeps it out of the shell's history). Store tokens are looked up in --store by their SHA-256 and never printed.

Formats: ${cookieFormats.map((format) => format.name).join(", ")}. The secrets are the application's: for a
flask cookie its Flask SECRET_KEY (and SECRET_KEY_FALLBACKS), for express-session its \`secret\` option. An
express-session cookie is verified only: its session is in the express-session store, which inspect does not read.

Options:
  --secret-env NAME        the secret's environment variable (default ${defaultSecretEnv}); older secrets are read
                           from NAME_FALLBACKS, comma-separated, as the demo reads them
  --secret-file PATH       one secret per line instead, the current one first
  --cookie-name NAME       the session cookie's name as configured (default sid; __Host-sid and __Secure-sid too)
  --public-key-file PATH   jwt: the public key (PEM) for tokens signed with EdDSA or ES256; HS256 tokens are
                           checked with the secrets, dir tokens with secrets that are 32 bytes in base64url
  --issuer ISS, --audience AUD
                           jwt: the iss and aud the application's jwtCodec requires
${storeHelp}
${timeoutHelp}
  --json                   print the result as JSON (also for a cookie that fails: "valid": false and a "reason")
  -h, --help               this text

Reasons a cookie fails: tampered, unknown_key, wrong_cookie_name, expired, not_yet_valid, unknown_session,
renewed, malformed, unsupported_version, invalid_payload, unknown_format, store_required.

Exit codes: 0 valid, 1 the cookie fails (the reason is printed) or a store or key was refused,
2 usage (no cookie, no secret, an unknown option, a store token without --store).`;

/** A cookie value and the name it came under, if the input said. */
interface Candidate {
  name: string | undefined;
  value: string;
}

/** What `inspect` prints, as text or as JSON. */
interface Report {
  valid: boolean;
  reason?: FailureReason;
  /** Which timeout ended an expired session. */
  timeout?: "idle" | "absolute";
  message: string;
  format?: string;
  description?: string;
  cookieName?: string;
  /** For wrong_cookie_name: the name the value was made for. */
  madeFor?: string;
  keyIndex?: number;
  key?: string;
  store?: string;
  sessionId?: string;
  createdAt?: string;
  lastSeenAt?: string;
  idleExpiresAt?: string;
  absoluteExpiresAt?: string;
  userId?: string | null;
  userAgent?: string;
  data?: SessionRecord["data"];
  flash?: SessionRecord["flash"];
}

const messages: Record<FailureReason, string> = {
  unknown_format: "not a session cookie format tessera knows",
  malformed: "malformed: the shape of the format, but not a well-formed value",
  unsupported_version: "unsupported version: made by a tessera this one does not read",
  unknown_key: "unknown key: made with a secret that is not among these keys",
  tampered: "tampered: it does not verify with any of these keys (changed, or made with another secret)",
  wrong_cookie_name: "wrong cookie name: it verifies, but was made for another cookie",
  invalid_payload: "invalid payload: it verifies, but holds no session record",
  unknown_session: "unknown session: it verifies, but the store has no such session (ended, revoked or collected)",
  renewed: "renewed: the session moved to a new token (renewAfter); this one only forwards to it for the grace, then it is dead",
  store_required: "it verifies as a store token: pass --store URL to read its session",
  expired: "expired",
  not_yet_valid: "not yet valid: created in the future (a clock gone wrong, or a forged record)",
};

/** Cookie values longer than a browser sends are refused before any work. */
const maxInputBytes = 64 * 1024;

/** RFC 6265 §4.1.1 cookie-name: an RFC 7230 token. */
const cookieNameRegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `tessera inspect`. */
export const inspect: Command = {
  name: "inspect",
  summary: "open a session cookie: format, key, times, user and data",
  help,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      {
        "secret-env": { type: "string" },
        "secret-file": { type: "string" },
        "cookie-name": { type: "string" },
        ...storeOptions,
        "public-key-file": { type: "string" },
        issuer: { type: "string" },
        audience: { type: "string" },
        ...timeoutOptions,
        json: { type: "boolean" },
      },
      { positionals: 1, command: "inspect" },
    );
    if (values.help) {
      io.stdout.write(`${help}\n`);
      return exitCodes.ok;
    }
    const input = positionals[0];
    if (input === undefined) throw new CliError(exitCodes.usage, "`tessera inspect` needs a cookie (or - to read it from stdin); see `tessera inspect --help`");
    const baseName = cookieBaseName(values["cookie-name"]);
    const timeouts = timeoutsOf(values, io.env);
    const text = input === "-" ? await readStdin(io) : input;
    const keys = readKeys({ secretEnv: values["secret-env"], secretFile: values["secret-file"] }, io.env);
    const candidates = candidatesOf(text, sessionNames(baseName));

    let opened: OpenedStore | undefined;
    const context: FormatContext = {
      keys,
      publicKey: readPublicKey(values["public-key-file"]),
      issuer: values.issuer,
      audience: values.audience,
      store: async (): Promise<Store | undefined> => {
        if (values.store === undefined) return undefined;
        opened ??= await openStore(values.store, { table: values.table, prefix: values.prefix });
        return opened.store;
      },
    };
    let report: Report;
    try {
      report = await inspectCandidates(candidates, sessionNames(baseName), context, timeouts);
      if (opened) report.store = opened.kind;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(exitCodes.refused, `the store failed: ${describeError(error, [...(opened?.sensitive ?? []), ...keys.secrets])}`);
    } finally {
      await opened?.store.close();
    }
    if (report.keyIndex !== undefined) report.key ??= keys.sources[report.keyIndex];
    if (values.json) printJson(io, report);
    else io.stdout.write(`${render(report)}\n`);
    if (report.reason === "store_required") return exitCodes.usage;
    return report.valid ? exitCodes.ok : exitCodes.refused;
  },
};

/** The PEM in `--public-key-file`, for JWTs signed with EdDSA or ES256. */
function readPublicKey(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(exitCodes.usage, `cannot read --public-key-file ${path} (${(error as { code?: string }).code ?? "error"})`);
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(text)) throw new CliError(exitCodes.usage, `--public-key-file ${path} holds no PEM public key (-----BEGIN PUBLIC KEY-----)`);
  return text;
}

/** The configured name without a prefix an operator may have typed: `__Host-sid` and `sid` both give `sid`. */
function cookieBaseName(name: string | undefined): string {
  if (name === undefined) return "sid";
  const base = name.replace(/^__(?:Host|Secure)-/i, "");
  if (!cookieNameRegExp.test(base)) throw new CliError(exitCodes.usage, "`--cookie-name` must be a cookie name");
  return base;
}

/** The names a session cookie of `base` goes out under, most specific first, as the cookie's `prefix: "auto"` picks. */
function sessionNames(base: string): string[] {
  return [`__Host-${base}`, `__Secure-${base}`, base];
}

async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > maxInputBytes) throw new CliError(exitCodes.refused, `the input is over ${maxInputBytes} bytes: no browser sends such a cookie`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The cookie values in the input: a bare value; `name=value`; or a Cookie header, from which the session cookies
 * (by name) are taken, or its only cookie.
 */
function candidatesOf(input: string, names: readonly string[]): Candidate[] {
  if (Buffer.byteLength(input) > maxInputBytes) throw new CliError(exitCodes.refused, `the input is over ${maxInputBytes} bytes: no browser sends such a cookie`);
  let text = input.trim();
  const header = /^cookie\s*:/i.exec(text);
  if (header) text = text.slice(header[0].length).trim();
  const eq = text.indexOf("=");
  const isPairs = header !== null || text.includes(";") || (eq > 0 && cookieNameRegExp.test(text.slice(0, eq)) && /[^=]/.test(text.slice(eq + 1)));
  if (!isPairs) {
    if (text === "") throw new CliError(exitCodes.usage, "the cookie is empty");
    return [{ name: undefined, value: unquote(text) }];
  }
  // RFC 6265 §5.4: pairs separated by "; ", the name up to the first "=".
  const pairs: Candidate[] = [];
  for (const part of text.split(";")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    pairs.push({ name: part.slice(0, at).trim(), value: unquote(part.slice(at + 1).trim()) });
  }
  const sessions = pairs.filter((pair) => pair.name !== undefined && names.includes(pair.name));
  if (sessions.length > 0) return sessions;
  if (pairs.length === 1) return pairs;
  const found = pairs.map((pair) => pair.name).filter((name): name is string => name !== undefined && cookieNameRegExp.test(name));
  throw new CliError(
    exitCodes.refused,
    `none of the ${pairs.length} cookies is named ${names.join(", ")} (found ${found.join(", ") || "none"}); pass --cookie-name NAME`,
  );
}

/** RFC 6265 §4.1.1: a cookie-value may be wrapped in DQUOTEs. */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * Opens the candidates in the order sent, as the application does: the first that gives a live session is the
 * answer; when none does, the first one's failure.
 */
async function inspectCandidates(
  candidates: readonly Candidate[],
  names: readonly string[],
  context: FormatContext,
  timeouts: Timeouts,
): Promise<Report> {
  let first: Report | undefined;
  for (const candidate of candidates) {
    const report = await inspectOne(candidate, names, context, timeouts);
    if (report.valid) return report;
    first ??= report;
  }
  return first!;
}

async function inspectOne(
  candidate: Candidate,
  names: readonly string[],
  context: FormatContext,
  timeouts: Timeouts,
): Promise<Report> {
  const format = detectFormat(candidate.value);
  if (format === undefined) return failure("unknown_format", { cookieName: candidate.name });
  const base = { format: format.name, description: format.description };
  // A value sent under a name is opened under that name; a bare value under each name the cookie may have.
  const tried = candidate.name !== undefined ? [candidate.name] : names;
  let opened: Opened | undefined;
  let cookieName: string | undefined;
  for (const name of tried) {
    opened = await format.open(candidate.value, name, context);
    cookieName = name;
    if (opened.ok || opened.reason !== "tampered" || !format.bindsCookieName) break;
  }
  if (!opened!.ok && opened!.reason === "tampered" && format.bindsCookieName && candidate.name !== undefined) {
    // Bound to its name, a value moved to another cookie fails as if tampered: say so when it opens under another.
    for (const other of names.filter((name) => name !== candidate.name)) {
      const elsewhere = await format.open(candidate.value, other, context);
      if (elsewhere.ok || elsewhere.reason !== "tampered") {
        return failure("wrong_cookie_name", { ...base, cookieName: candidate.name, madeFor: other, keyIndex: elsewhere.keyIndex }, `made for ${other}, sent as ${candidate.name}`);
      }
    }
  }
  const result = opened!;
  if (!result.ok) {
    // A value that verified (a store token with no session, say) was made for the name it verified under; one that
    // did not names no cookie but the one it was sent under.
    return failure(result.reason, { ...base, cookieName: candidate.name ?? (result.keyIndex === undefined ? undefined : cookieName), keyIndex: result.keyIndex });
  }
  const { record } = result;
  if (record === undefined) {
    return { valid: true, message: result.note ?? "valid", ...base, cookieName: candidate.name, keyIndex: result.keyIndex };
  }
  const expiry = sessionExpiry(record.meta, timeouts);
  const details: Report = {
    valid: expiry.verdict === "valid",
    message: "valid",
    ...base,
    cookieName,
    keyIndex: result.keyIndex,
    key: result.keySource,
    sessionId: result.sessionId,
    createdAt: isoTime(record.meta.createdAt),
    lastSeenAt: isoTime(record.meta.lastSeenAt),
    idleExpiresAt: isoTime(expiry.idleExpiresAt),
    absoluteExpiresAt: isoTime(expiry.absoluteExpiresAt),
    userId: record.meta.userId ?? null,
    userAgent: record.meta.userAgent,
    data: record.data,
    flash: record.flash,
  };
  if (expiry.verdict === "idle_timeout" || expiry.verdict === "absolute_timeout") {
    const timeout = expiry.verdict === "idle_timeout" ? "idle" : "absolute";
    return { ...details, valid: false, reason: "expired", timeout, message: `expired: its ${timeout} timeout passed` };
  }
  if (expiry.verdict === "not_yet_valid") return { ...details, valid: false, reason: "not_yet_valid", message: messages.not_yet_valid };
  return details;
}

function failure(reason: FailureReason, fields: Partial<Report>, detail?: string): Report {
  return { valid: false, reason, message: detail ? `${messages[reason]} (${detail})` : messages[reason], ...fields };
}

function render(report: Report): string {
  const now = Date.now();
  const at = (iso: string | undefined) => (iso === undefined ? undefined : when(Date.parse(iso), now));
  const lines = block([
    ["result", report.valid ? (report.message === "valid" ? "valid" : `valid: ${report.message}`) : `invalid: ${report.message}`],
    ["format", report.format === undefined ? undefined : `${report.format} (${report.description})`],
    ["cookie", report.cookieName],
    ["key", report.keyIndex === undefined ? undefined : `${report.keyIndex} (${report.key})`],
    ["store", report.store],
    ["session id", report.sessionId === undefined ? undefined : `${report.sessionId} (SHA-256 of the token)`],
    ["created", at(report.createdAt)],
    ["last seen", at(report.lastSeenAt)],
    ["idle expiry", at(report.idleExpiresAt)],
    ["absolute expiry", at(report.absoluteExpiresAt)],
    ["user", report.userId === undefined ? undefined : (report.userId ?? "(anonymous)")],
    ["user agent", report.userAgent],
    ["data", report.data === undefined ? undefined : json(report.data)],
    ["flash", report.flash === undefined || Object.keys(report.flash).length === 0 ? undefined : JSON.stringify(report.flash)],
  ]);
  return lines;
}

/** Data on one line when short, else indented under its label (the widest label, "absolute expiry", and two spaces). */
function json(value: unknown): string {
  const line = JSON.stringify(value);
  return line.length <= 80 ? line : JSON.stringify(value, null, 2).replace(/\n/g, `\n${" ".repeat(17)}`);
}
