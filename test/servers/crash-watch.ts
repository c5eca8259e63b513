// Records what would crash a server process: uncaught exceptions (an 'error' event nobody listens to) and
// unhandled rejections, while a fault test runs in this process.

/** A running watch. */
export interface CrashWatch {
  /** `name: message` of each uncaught exception or unhandled rejection so far. */
  readonly crashes: string[];
  stop(): void;
}

/**
 * Starts recording. In a server process without such listeners, each recorded error would have ended the process.
 *
 * @example
 * const watch = watchCrashes();
 * // ...kill the server under load...
 * expect(watch.crashes).toEqual([]);
 * watch.stop();
 */
export function watchCrashes(): CrashWatch {
  const crashes: string[] = [];
  const record = (kind: string) => (error: unknown): void => {
    crashes.push(`${kind} ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  };
  const onException = record("uncaught exception");
  const onRejection = record("unhandled rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return {
    crashes,
    stop() {
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
    },
  };
}
