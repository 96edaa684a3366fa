/**
 * The releases of each first-party integration this CLI (and the SDK it ships with) works with, as the
 * range `strata integration install` pins: without one, a package manager takes the newest release, which
 * may be built for another Strata (another interface version, another core line).
 *
 * The rule is the hand-over's: in 0.x a minor is a new line (`0.1.x`), from 1.0 a major is (`1.x`).
 * X-ranges, because they hold no character a shell treats specially (`^` is cmd.exe's escape character).
 * A test keeps every range containing the workspace's version of its package, so a release that starts a
 * new line of a plugin moves its range here too.
 */
export const INTEGRATION_RANGES: Readonly<Record<string, string>> = {
  '@strata/s3': '0.0.x',
  '@strata/gcs': '0.0.x',
  '@strata/mlflow': '0.0.x',
  '@strata/kubernetes': '0.0.x',
  '@strata/kubeflow': '0.0.x',
}
