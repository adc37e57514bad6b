/** Ends a CLI command with this exit code and message (2: usage, configuration or internal error). */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}
