import { z } from 'zod';
import { createAnalyticsContext, type AnalyticsContext } from './analyze.js';
import { bundledGeoIndex, loadGeoCsv, loadServiceTags, loadThreatList } from './sources.js';
import type { TopologyLookup } from './topology.js';

export const analyticsOptionsSchema = z.object({
  /** Microsoft Service Tags JSON (download "Azure IP Ranges and Service Tags – Public"). */
  serviceTags: z.string().optional(),
  /** Threat list CSV: ip_or_cidr,threat_type,description. */
  threats: z.string().optional(),
  /** Geolocation: 'bundled' (default), 'none', or a CSV path (first_ip,last_ip,country). */
  geo: z.string().default('bundled'),
  maliciousBeforeAzurePublic: z.boolean().default(true),
  specialRangesArePrivate: z.boolean().default(true),
  unknownPrivateName: z.enum(['Unknown Private', 'UnknownPrivate']).default('Unknown Private'),
  /**
   * Minutes per partial row: tuples of one interval fold into one partial row per key already at
   * ingest. 1 keeps every interval (1, 10, 60) open to the views; ingestion into a DuckDB store
   * uses the store's interval (see StoreInfo.partialMinutes), which writes ~40% fewer partial rows
   * at 10 minutes on emulated traffic.
   */
  partialMinutes: z.union([z.literal(1), z.literal(10), z.literal(60)]).default(1),
});

export type AnalyticsOptions = z.input<typeof analyticsOptionsSchema>;

/** Loads the enrichment files named in the options (errors say file and line). */
export function loadAnalyticsContext(
  options: AnalyticsOptions = {},
  topology?: TopologyLookup,
): AnalyticsContext {
  const o = analyticsOptionsSchema.parse(options);
  return createAnalyticsContext(
    {
      topology,
      serviceTags: o.serviceTags ? loadServiceTags(o.serviceTags) : null,
      threats: o.threats ? loadThreatList(o.threats) : null,
      geo: o.geo === 'none' ? null : o.geo === 'bundled' ? bundledGeoIndex() : loadGeoCsv(o.geo),
    },
    {
      maliciousBeforeAzurePublic: o.maliciousBeforeAzurePublic,
      specialRangesArePrivate: o.specialRangesArePrivate,
      unknownPrivateName: o.unknownPrivateName,
    },
    o.partialMinutes,
  );
}
