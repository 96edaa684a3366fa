/** A usage mistake (unknown option, missing argument): exit code 2, with the help hint. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * A failure the CLI itself detects (exit code 1). Like a StrataError: an UPPER_SNAKE code, a message that
 * says what failed and ends with the fix; used where loading @strata/core just to throw would cost start-up.
 */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CommandError'
  }
}
