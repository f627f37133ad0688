/**
 * Bounded (default, part of `npm test`) or long form. The long form is chosen with the
 * environment variable FLOWLENS_RELIABILITY_LONG=1 (vitest does not pass unknown CLI flags such
 * as `--long` through to test workers, so the variable is the one switch that always works).
 */
export const LONG = process.env.FLOWLENS_RELIABILITY_LONG === '1' || process.argv.includes('--long');

export function bounded<T>(short: T, long: T): T {
  return LONG ? long : short;
}
