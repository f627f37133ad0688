/** Emulator options with their defaults (zod), shared by the library API and `flowlens emulate`. */
import { z } from 'zod';
import { parseDurationSeconds } from '../model/index.js';
import { PROFILE_NAMES } from './profiles.js';

/** Where the fast encoder's records are written (`encodeThread`). */
export const ENCODE_THREADS = ['auto', 'worker', 'main'] as const;
export type EncodeThread = (typeof ENCODE_THREADS)[number];

export const emulateOptionsSchema = z.object({
  /** Start of simulated time (ISO 8601, UTC). Default: the profile's `defaultStart`. */
  start: z.string().datetime({ offset: true }).optional(),
  /** Simulated duration: `90m`, `1h`, seconds… Rounded up to whole minutes. */
  duration: z
    .union([z.string(), z.number()])
    .default('1h')
    .transform((v, ctx) => {
      const s = parseDurationSeconds(v);
      if (s === null || s <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid duration "${String(v)}" (use "90m", "1h", "2h30m")`,
        });
        return z.NEVER;
      }
      return Math.ceil(s / 60);
    }),
  profile: z.enum(PROFILE_NAMES as [string, ...string[]]).default('ga'),
  /** Run seed; the scenario's `seed`, else 1. */
  seed: z.number().int().optional(),
  /** Commit each simulated minute when that much wall-clock time has passed. */
  realtime: z.boolean().default(false),
  /** Length of a simulated minute in `realtime` mode (tests use 1000). */
  minuteMs: z.number().int().positive().default(60_000),
  /**
   * When fast-forwarding, commit block lists every minute (`minute`, what Azure does; slow against
   * a remote account) or only when the staged bytes reach `maxPendingBytes` and at the end
   * (`batched`; the final blobs are identical). Realtime always commits per minute.
   */
  commit: z.enum(['minute', 'batched']).optional(),
  maxPendingBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  encoder: z.enum(['fast', 'bytes', 'formats', 'json']).default('fast'),
  /**
   * Where `emulate` writes the fast encoder's records: `worker` (a thread of its own, minute m
   * while minute m + 1 is simulated), `main` (the calling thread), or `auto`: a worker for runs of at least
   * 2,000 NIC-minutes on networks of up to 4,000 NICs, else the calling thread (see
   * `encodesInWorker`). The bytes are the same either way.
   */
  encodeThread: z.enum(ENCODE_THREADS).default('auto'),
});

export type EmulateOptionsInput = z.input<typeof emulateOptionsSchema>;
export type EmulateOptions = z.output<typeof emulateOptionsSchema>;
