// Writers of one session in this process take turns, and each hands what it wrote to the next.

/** What the writers queued on one session share: what the last of them wrote, for the next. */
export interface WriteTurn<Written> {
  /** What the previous writer in this queue left; undefined for the first writer, or after a writer failed. */
  last: Written | undefined;
}

/** Runs `task` in its turn for `key`. */
export type WriteQueue<Written> = <T>(key: string, task: (turn: WriteTurn<Written>) => Promise<T>) => Promise<T>;

/**
 * A queue per key: a task starts only after every earlier task under the same key has settled (resolved or
 * rejected), and tasks under other keys run freely. The tasks queued on one key share a `WriteTurn`, so a writer
 * can start from the version the one before it wrote instead of the one it loaded, and never lose a
 * compare-and-set to a writer of its own process. A key's queue, and what it carried, is forgotten once it drains.
 *
 * @example
 * const inTurn = createWriteQueue<{ version: number }>();
 * await inTurn(id, async (turn) => { const from = turn.last?.version ?? loaded; turn.last = { version: from + 1 }; });
 */
export function createWriteQueue<Written>(): WriteQueue<Written> {
  const queues = new Map<string, { tail: Promise<unknown>; turn: WriteTurn<Written> }>();
  return <T>(key: string, task: (turn: WriteTurn<Written>) => Promise<T>): Promise<T> => {
    const queued = queues.get(key);
    const turn: WriteTurn<Written> = queued?.turn ?? { last: undefined };
    const start = (): Promise<T> =>
      task(turn).catch((error: unknown) => {
        // A writer that failed may have written or not: the next one must not build on a guess.
        turn.last = undefined;
        throw error;
      });
    const run = queued ? queued.tail.then(start, start) : start();
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    const entry = { tail, turn };
    queues.set(key, entry);
    void tail.then(() => {
      if (queues.get(key) === entry) queues.delete(key);
    });
    return run;
  };
}
