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
});

export type AnalyticsOptions = z.input<typeof analyticsOptionsSchema>;

/** Loads the enrichment files named in the options (errors say file and line). */
export function loadAnalyticsContext(options: AnalyticsOptions = {}, topology?: TopologyLookup): AnalyticsContext {
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
  );
}
