// Concurrent users for the fault tests: each with its own cookie jar, signing in and incrementing a counter (the
// counter apps) or signing in and reading pages (the demo), every request bounded by a client timeout and recorded
// with the phase of the fault it started and ended in, and a ledger of what each user was told was saved.

/** Where a fault run is, as the test names it: `"before"` (the start), then e.g. `"fault"` and `"after"`. */
export type Phase = string;

/** One request as the client saw it. */
export interface Outcome {
  route: string;
  /** The HTTP status, `"timeout"` when the client gave up, `"error"` when the connection failed. */
  status: number | "timeout" | "error";
  startedIn: Phase;
  endedIn: Phase;
  ms: number;
}

/** What one user was told: sign-in and writes acknowledged (2xx/3xx), and writes attempted. */
export interface UserLedger {
  name: string;
  jar: CookieJar;
  signedIn: boolean;
  /** Counter apps: increments answered 200, and increments sent at all. */
  acknowledged: number;
  attempted: number;
  /** Demo: the welcome flash was shown on a 200 page, so reading it (a write) was acknowledged. */
  flashConsumed: boolean;
}

/**
 * A tiny cookie jar: what a browser would send back to one origin (names, values, deletions; no attributes).
 *
 * @example
 * jar.take(response); fetch(url, { headers: { cookie: jar.header() } });
 */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  take(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === "" || /;\s*Max-Age=0/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** A target under load: an app's base URL, how its users behave, and the client timeout that bounds a request. */
export interface Target {
  name: string;
  url: string;
  kind: "counter" | "demo";
  /** A request not answered within this is recorded as `"timeout"` (a hang). */
  clientTimeoutMs: number;
}

/** Everything recorded for one target. */
export interface TargetRecord {
  target: Target;
  outcomes: Outcome[];
  users: UserLedger[];
}

/** A running load. */
export interface Traffic {
  /** The phase new requests start in; set it as the fault happens and ends. */
  phase: Phase;
  readonly records: ReadonlyMap<string, TargetRecord>;
  /** Resolves once `check` holds for every target (polled: a readiness probe, not a wait); fails after `timeoutMs`. */
  until(check: (record: TargetRecord) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Stops every user after its request in flight and resolves once all have stopped. */
  stop(): Promise<void>;
}

/**
 * How many outcomes of `record` match.
 *
 * @example
 * count(record, (o) => o.startedIn === "fault" && o.status === 503);
 */
export function count(record: TargetRecord, match: (outcome: Outcome) => boolean): number {
  let n = 0;
  for (const outcome of record.outcomes) if (match(outcome)) n++;
  return n;
}

/** After a failed request a user waits this long before the next, as a client backing off would. */
const backoffMs = 10;
/** A user leaves after this many acknowledged increments (or page views) and a new one signs in. */
const requestsPerUser = 5;

/**
 * Starts `usersPerTarget` users on every target. Each user signs in (a fresh, cookieless client, so the sign-in
 * needs no store call inside the handler), then increments its counter (counter apps) or reads its pages (the
 * demo); after five acknowledged requests it leaves and a new user signs in, so sign-ins go on all through
 * the run.
 *
 * @example
 * const traffic = startTraffic([{ name: "Hono", url, kind: "counter", clientTimeoutMs: 1500 }], 8);
 * await traffic.until((r) => count(r, (o) => o.status === 200) > 50, "requests succeed");
 * await traffic.stop();
 */
export function startTraffic(targets: Target[], usersPerTarget: number): Traffic {
  const records = new Map<string, TargetRecord>();
  let running = true;
  const traffic: Traffic = {
    phase: "before",
    records,
    async until(check, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pending = [...records.values()].filter((record) => !check(record));
        if (pending.length === 0) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what} (still waiting for ${pending.map((r) => r.target.name).join(", ")})`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };

  const send = async (record: TargetRecord, route: string, jar: CookieJar, init: RequestInit = {}): Promise<{ status: Outcome["status"]; body: string }> => {
    const startedIn = traffic.phase;
    const started = performance.now();
    const headers = new Headers(init.headers);
    if (jar.cookies.size > 0) headers.set("cookie", jar.header());
    let status: Outcome["status"];
    let body = "";
    try {
      const response = await fetch(record.target.url + route, {
        ...init,
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(record.target.clientTimeoutMs),
      });
      body = await response.text();
      status = response.status;
      // A failed request's Set-Cookie (a 503 sends none) is taken too: the jar is what the browser would hold.
      jar.take(response);
    } catch (error) {
      status = (error as Error).name === "TimeoutError" ? "timeout" : "error";
    }
    record.outcomes.push({ route: route.split("?")[0]!, status, startedIn, endedIn: traffic.phase, ms: performance.now() - started });
    return { status, body };
  };

  let users = 0;
  const counterUser = async (record: TargetRecord): Promise<void> => {
    while (running) {
      const user: UserLedger = { name: `u${++users}`, jar: new CookieJar(), signedIn: false, acknowledged: 0, attempted: 0, flashConsumed: false };
      record.users.push(user);
      while (running && user.acknowledged < requestsPerUser) {
        if (!user.signedIn) {
          const { status } = await send(record, `/login?user=${user.name}`, user.jar);
          if (status === 200) user.signedIn = true;
          else await pause();
          continue;
        }
        user.attempted++;
        const { status } = await send(record, "/count", user.jar);
        if (status === 200) user.acknowledged++;
        else await pause();
      }
    }
  };

  const demoUser = async (record: TargetRecord): Promise<void> => {
    while (running) {
      const user: UserLedger = { name: `demo${++users}`, jar: new CookieJar(), signedIn: false, acknowledged: 0, attempted: 0, flashConsumed: false };
      record.users.push(user);
      let views = 0;
      while (running && views < requestsPerUser) {
        if (!user.signedIn) {
          const { status } = await send(record, "/login", user.jar, {
            method: "POST",
            body: new URLSearchParams({ username: user.name }),
            headers: { origin: record.target.url },
          });
          if (status === 303) user.signedIn = true;
          else await pause();
          continue;
        }
        const { status, body } = await send(record, "/", user.jar);
        if (status === 200) {
          views++;
          if (body.includes(`Welcome, ${user.name}!`)) user.flashConsumed = true;
        } else await pause();
      }
    }
  };

  const loops: Promise<void>[] = [];
  for (const target of targets) {
    const record: TargetRecord = { target, outcomes: [], users: [] };
    records.set(target.name, record);
    for (let i = 0; i < usersPerTarget; i++) loops.push(target.kind === "counter" ? counterUser(record) : demoUser(record));
  }
  return traffic;
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, backoffMs));
}

/**
 * What each user of `record` finds now, read through the app with the user's own cookies: the counter and
 * username (counter apps) or the page (the demo). Run it after the traffic stopped and the server is back.
 *
 * @example
 * const lost = await lostWrites(record);
 */
export async function lostWrites(record: TargetRecord): Promise<string[]> {
  const lost: string[] = [];
  const { target } = record;
  for (const user of record.users) {
    if (!user.signedIn) continue;
    const headers = { cookie: user.jar.header() };
    const response = await fetch(target.url + (target.kind === "counter" ? "/whoami" : "/"), { headers, redirect: "manual", signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    if (target.kind === "counter") {
      const found = response.status === 200 ? (JSON.parse(body) as { username: string | null; count: number }) : undefined;
      // At least every acknowledged increment; at most every attempted one (one whose answer was lost may have landed).
      if (found === undefined || found.username !== user.name || found.count < user.acknowledged || found.count > user.attempted) {
        lost.push(`${user.name}: acknowledged ${user.acknowledged} of ${user.attempted}, found ${response.status} ${body.slice(0, 80)}`);
      }
    } else {
      const signedIn = response.status === 200 && body.includes(`Hello ${user.name}!`);
      const flashAgain = body.includes(`Welcome, ${user.name}!`);
      if (!signedIn || (user.flashConsumed && flashAgain)) {
        lost.push(`${user.name}: ${signedIn ? "the welcome flash came back after it was read" : `signed out (${response.status})`}`);
      }
    }
  }
  return lost;
}
