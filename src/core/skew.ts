// A store's view of its server's clock: the offset from this machine's, for fencing writes by their deadline.

/** A measurement older than this is taken again. */
export const skewRefreshMs = 60_000;

/** Turns a caller's deadline into the server's time, from round-trip measurements of the server's clock. */
export interface ServerClock {
  /**
   * The deadline (epoch ms by `Date.now`) in the server's time, less the measurement's margin of error, or `0`
   * when there is no deadline or no measurement yet (no fence). Starts a new measurement when the last is stale.
   */
  fenceOf(deadline: number | undefined): number;
  /** Measures now (at start-up); never rejects. */
  measure(): Promise<void>;
}

/**
 * A server clock read through `now`, which asks the server for its time (epoch ms). The offset is taken at the
 * middle of the round trip, and half the round trip (plus 2 ms) is the margin taken off every fence, so a fenced
 * write is refused rather than allowed when the measurement is uncertain.
 *
 * @example
 * const clock = serverClock(async () => Number((await pool.query("SELECT ...")).rows[0].now));
 * const fence = clock.fenceOf(options.deadline);
 */
export function serverClock(now: () => Promise<number>): ServerClock {
  let skew: { offsetMs: number; marginMs: number; measuredAt: number } | undefined;
  let measuring: Promise<void> | undefined;
  const measure = (): Promise<void> =>
    (measuring ??= (async () => {
      const before = Date.now();
      const serverMs = await now();
      const after = Date.now();
      if (Number.isFinite(serverMs)) skew = { offsetMs: serverMs - (before + after) / 2, marginMs: Math.ceil((after - before) / 2) + 2, measuredAt: after };
    })()
      .catch(() => undefined)
      .finally(() => (measuring = undefined)));
  return {
    measure,
    fenceOf(deadline) {
      if (deadline === undefined) return 0;
      if (skew === undefined || Date.now() - skew.measuredAt > skewRefreshMs) void measure();
      return skew === undefined ? 0 : Math.floor(deadline + skew.offsetMs - skew.marginMs);
    },
  };
}
