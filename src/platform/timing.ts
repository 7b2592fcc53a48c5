/** Receives how long one store operation took, in seconds; `operation` is its kind, never keys or SQL. */
export type OperationTiming = (operation: string, seconds: number, isError: boolean) => void;

/** Runs `run` and reports its duration to `record`, whether it resolves or rejects. */
export async function timed<T>(record: OperationTiming, operation: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await run();
    record(operation, (performance.now() - started) / 1000, false);
    return result;
  } catch (err) {
    record(operation, (performance.now() - started) / 1000, true);
    throw err;
  }
}
