import { z } from 'zod';

/** Options of the console server. Defaults keep it on loopback with conservative query limits. */
export const consoleConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(8080),
  /** Required when `host` is not a loopback address; compared in constant time. */
  token: z.string().min(8, 'a token needs at least 8 characters').optional(),
  /** Time limit of one user query (SQL or KQL), in ms. */
  queryTimeoutMs: z.number().int().positive().default(30_000),
  /** Rows a user query returns at most. */
  maxRows: z.number().int().positive().max(1_000_000).default(10_000),
  /** How often the live poller checks for new data, in ms. */
  pollIntervalMs: z.number().int().positive().default(1_000),
  /** Folder with the built web app (index.html + assets); found next to the module by default. */
  webRoot: z.string().optional(),
});

export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
export type ConsoleOptions = z.input<typeof consoleConfigSchema>;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
