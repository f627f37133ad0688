import { Command } from 'commander';
import { FlowlensError } from '../errors.js';

/** Each command file exports one `register` that adds its command to the program. */
export type RegisterCommand = (program: Command) => void;

/**
 * Wraps a command action so that user-facing errors print as one or two lines and set the exit
 * code, while programming errors keep their stack trace.
 */
export function runAction<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof FlowlensError) {
        process.stderr.write(`flowlens: ${err.message}\n`);
        process.exitCode = err.exitCode;
        return;
      }
      throw err;
    }
  };
}

export function parseIntegerOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number, got "${value}"`);
    return n;
  };
}
