// Keyed serial queues: tasks under one key run one after another in this process, tasks under other keys freely.

/**
 * Makes a runner that starts `task` only after every earlier task under the same key has settled (whether it
 * resolved or rejected). A key's queue is forgotten once it drains.
 *
 * @example
 * const serialize = createKeyedQueue();
 * await serialize(sessionId, () => writeRecord());
 */
export function createKeyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const queues = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key);
    const run = previous ? previous.then(task, task) : task();
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return run;
  };
}
