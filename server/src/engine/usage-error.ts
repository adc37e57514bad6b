/** A mistake in how the engine was asked (a path that does not exist, a bad option): exit code 2 on the CLI. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
