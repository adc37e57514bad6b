// Stands in for @secretlint/profiler in the bundles (scripts/build.mjs aliases it here). The real one
// marks every rule run on Node's performance timeline, keeps every entry in an array it never
// empties, and searches that array on each new mark: linting costs grow with every text linted
// before (score: 18 ms a text at the start, 115 ms after 900 texts), and a long-running server leaks.
// Latent Lint reads none of it, so nothing is recorded.
export class SecretLintProfiler {
  mark(_marker: unknown): void {}

  async getEntries(): Promise<PerformanceEntry[]> {
    return [];
  }

  async getMeasures(): Promise<PerformanceEntry[]> {
    return [];
  }
}

export const secretLintProfiler = new SecretLintProfiler();
