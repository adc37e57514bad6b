// Linting files side by side (the CLI's check, the server's workspace scan): reading, parsing and the
// rules of later files overlap the guard's work on earlier ones, whose units share its batches.

/** Files in flight: enough that the guard's next batches are full while the rules read ahead. */
export function filesInFlight(jobs: number): number {
  return Math.max(8, 4 * jobs);
}

/**
 * `work` over `items` with at most `limit` running at once; results in the items' order. The first
 * failure stops new work from starting and is thrown once the running ones settle.
 */
export async function mapInOrder<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
