// Scenarios the networked store tests share: polling, requests with a session cookie, 1,000 concurrent writers
// on one session, and an outage through a loopback proxy.

import { expect } from "vitest";
import { createSessions, TesseraError, type Store } from "../src/index.js";
import type { TcpProxy } from "./servers/tcp-proxy.js";
import { setCookies, sha256 } from "./store-conformance.js";

/** Polls `check` until it holds (a readiness probe, never a fixed wait); fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A Fetch API request carrying the session token, if any. */
export const request = (token?: string): Request => new Request("https://app.test/", token === undefined ? {} : { headers: { cookie: `sid=${token}` } });

/** The session token a response set. */
export const tokenOf = (response: Response): string => setCookies(response).find((c) => c.name === "sid" && c.value !== "")!.value;

/**
 * 1,000 requests load one session at once and each sets its own key: every key must be there afterwards, and the
 * record must have been written once per request.
 */
export async function thousandWriters(store: Store, secret: string): Promise<void> {
  const sessions = createSessions<Record<string, number>>({ secrets: [secret], store });
  const first = await sessions.load(request());
  first.set("seed", 0);
  const token = tokenOf(await sessions.commit(first, new Response("ok")));
  const results = await Promise.allSettled(
    Array.from({ length: 1000 }, async (_, i) => {
      const session = await sessions.load(request(token));
      if (session.isNew) throw new Error("the session did not load");
      session.set(`k${i}`, i);
      await sessions.commit(session, new Response("ok"));
    }),
  );
  expect(results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as TesseraError).code ?? r.reason)] : []))).toEqual([]);
  const after = await sessions.load(request(token));
  for (let i = 0; i < 1000; i++) expect(after.get(`k${i}`), `k${i}`).toBe(i);
  expect((await store.get(sha256(token)))?.version).toBeGreaterThan(1000);
}

export interface OutageReport {
  committedBeforeCut: { token: string; n: number }[];
  failedDuringCut: { code: string; ms: number }[];
}

/**
 * Runs requests from 16 workers without pause, cuts the proxy once some have committed, waits for failures,
 * restores it and waits until requests succeed again. Throws if a failure is not a TesseraError.
 */
export async function outage(
  proxy: TcpProxy,
  sessions: ReturnType<typeof createSessions<{ n?: number; hits?: number }>>,
  how: "close" | "reset" = "close",
): Promise<OutageReport> {
  const report: OutageReport = { committedBeforeCut: [], failedDuringCut: [] };
  let succeededAfterRestore = 0;
  let restored = false;
  let stop = false;
  let counter = 0;
  const unexpected: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (!stop) {
      const n = ++counter;
      const cutAtStart = proxy.isCut;
      const started = Date.now();
      try {
        const session = await sessions.load(request());
        session.set("n", n);
        const token = tokenOf(await sessions.commit(session, new Response("ok")));
        const again = await sessions.load(request(token));
        again.update("hits", (h) => (h ?? 0) + 1);
        await sessions.commit(again, new Response("ok"));
        if (!proxy.isCut && !cutAtStart && !restored) report.committedBeforeCut.push({ token, n });
        if (restored) succeededAfterRestore++;
      } catch (error) {
        if (!(error instanceof TesseraError)) unexpected.push(error);
        else if (proxy.isCut && cutAtStart) report.failedDuringCut.push({ code: error.code, ms: Date.now() - started });
      }
    }
  };
  const workers = Array.from({ length: 16 }, worker);
  try {
    await until(() => report.committedBeforeCut.length >= 20, "requests commit before the cut");
    proxy.cut({ how });
    await until(() => report.failedDuringCut.length >= 30, "requests fail during the cut");
    proxy.restore();
    restored = true;
    await until(() => succeededAfterRestore >= 30, "requests succeed after the restore");
  } finally {
    stop = true;
    await Promise.all(workers);
  }
  expect(unexpected).toEqual([]);
  return report;
}

/**
 * What every outage must show: requests during the cut failed fast with ERR_STORE_UNAVAILABLE (and were reported
 * as store errors), and every session committed before the cut reads back as it was acknowledged.
 */
export async function expectOutageHandled(
  report: OutageReport,
  sessions: ReturnType<typeof createSessions<{ n?: number; hits?: number }>>,
  storeErrors: string[],
): Promise<void> {
  expect(report.failedDuringCut.length).toBeGreaterThan(0);
  expect([...new Set(report.failedDuringCut.map((f) => f.code))]).toEqual(["ERR_STORE_UNAVAILABLE"]);
  // Fast: a refused connection or the 0.5 s storeTimeout, never a hang (the bound is loose for slow machines).
  expect(Math.max(...report.failedDuringCut.map((f) => f.ms))).toBeLessThan(2500);
  expect(storeErrors.length).toBeGreaterThan(0);
  for (const { token, n } of report.committedBeforeCut) {
    const session = await sessions.load(request(token));
    expect([session.isNew, session.get("n")], "a session committed before the cut").toEqual([false, n]);
  }
  expect(report.committedBeforeCut.length).toBeGreaterThan(10);
}
