/** Options of the coverage planner and the migration planner (zod, with defaults). */
import { z } from 'zod';
import { PROFILE_NAMES } from '../emulator/index.js';

export const coverageOptionsSchema = z.object({
  /** Behaviour profile the recorder follows (`ga` = today's docs, `preview-2023` = the article). */
  profile: z.enum(PROFILE_NAMES as [string, ...string[]]).default('ga'),
  /**
   * Instant the blob paths are given for (ISO 8601). Default: the profile's default start, which is
   * also where `flowlens emulate` starts, so predicted paths are the ones it writes.
   */
  at: z.string().datetime({ offset: true }).optional(),
  /**
   * Scenarios without traffic: NIC pairs are probed on the ports their rules open. Above this many
   * ordered pairs only pairs inside one VNet or across a peering are kept in order, then cut.
   */
  maxPairs: z.number().int().positive().default(20_000),
  /** Scenarios without traffic: at most this many distinct destination ports per NIC pair. */
  maxPortsPerPair: z.number().int().positive().default(8),
});

export type CoverageOptionsInput = z.input<typeof coverageOptionsSchema>;
export type CoverageOptions = z.output<typeof coverageOptionsSchema>;

export const migrateOptionsSchema = z.object({
  profile: z.enum(PROFILE_NAMES as [string, ...string[]]).default('ga'),
  at: z.string().datetime({ offset: true }).optional(),
  /**
   * US$ per GB of "network flow logs collected". The only published figure ($0.50) comes from a
   * third-party script (azure-flowlogs-spec §3.5, UNCONFIRMED), hence a parameter.
   */
  pricePerGb: z.number().nonnegative().default(0.5),
  /** Free tier per subscription and month (§3.5: 5 GB). */
  freeGbPerSubscription: z.number().nonnegative().default(5),
  /** Bicep API version of `Microsoft.Network/networkWatchers/flowLogs`. */
  apiVersion: z.string().default('2023-11-01'),
});

export type MigrateOptionsInput = z.input<typeof migrateOptionsSchema>;
export type MigrateOptions = z.output<typeof migrateOptionsSchema>;
