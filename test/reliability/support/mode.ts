/**
 * Bounded (default, part of `npm test`) or long form. The long form is chosen with
 * `npm run test:reliability -- --mode long` (vitest's own --mode flag; vitest refuses unknown
 * flags such as `--long`) or with the environment variable FLOWLENS_RELIABILITY_LONG=1.
 */
const viteMode = (import.meta as unknown as { env?: { MODE?: string } }).env?.MODE;

export const LONG = process.env.FLOWLENS_RELIABILITY_LONG === '1' || viteMode === 'long';

export function bounded<T>(short: T, long: T): T {
  return LONG ? long : short;
}
