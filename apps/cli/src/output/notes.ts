import type { Io } from './io.js'

/** A success line on stderr, so that stdout stays clean for scripts. */
export function done(context: { readonly io: Io }, message: string): void {
  context.io.note(`${context.io.style('✔', 'green')} ${message}`)
}

/** Warns about references to secrets that do not exist yet (registration still succeeds). */
export function warnMissingSecrets(
  context: { readonly io: Io },
  missing: ReadonlyArray<{ secret: string; key: string }>,
): void {
  for (const { secret, key } of missing) {
    context.io.warn(
      `secret '${secret}' (key '${key}') does not exist yet — create it with 'strata secret create ${secret} --${key}=VALUE' (or 'strata stack register-secrets STACK') before running a pipeline`,
    )
  }
}
