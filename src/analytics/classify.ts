/**
 * Flow type classification (traffic-analytics-spec §7.2) and the per-address facts it needs.
 * Each distinct address of a batch is looked up once (`describeIp`), each distinct
 * (source, destination) pair classified once (`classifyPair`).
 */
import type { GeoIndex, ServiceTagIndex, ThreatIndex, ThreatInfo } from './sources.js';
import { isPrivateAddress, parseIp, type ParsedIp } from './prefix.js';
import type { EndpointInfo, SiteInfo, TopologyLookup } from './topology.js';

export const FLOW_TYPES = [
  'IntraVNet',
  'InterVNet',
  'S2S',
  'P2S',
  'AzurePublic',
  'ExternalPublic',
  'MaliciousFlow',
  'Unknown Private',
  'Unknown',
] as const;
export type FlowType = (typeof FLOW_TYPES)[number];

/** The Azure host address: AzurePublic, Location `Global`, "Microsoft Virtual Public IP" (§7.1). */
export const AZURE_HOST_IP = '168.63.129.16';

/**
 * Azure platform addresses reported as AzurePublic with Location `Global`. 168.63.129.16 is
 * documented; treating the Instance Metadata Service the same way is our choice (UNCONFIRMED):
 * it is Azure's, not the customer's, and "Unknown Private" would hide it among unmapped ranges.
 */
export const AZURE_PLATFORM_IPS: Readonly<Record<string, string>> = {
  [AZURE_HOST_IP]: 'Microsoft Virtual Public IP',
  '169.254.169.254': 'Azure Instance Metadata Service',
};

export interface ClassifyOptions {
  /**
   * A public address on the threat list counts as MaliciousFlow even when it lies in an Azure
   * range (default true). The spec leaves the precedence UNCONFIRMED; a user's threat list is
   * the stronger statement, and attackers do run in public clouds.
   */
  maliciousBeforeAzurePublic: boolean;
  /**
   * 100.64/10 (CGNAT), link-local, loopback and IPv6 ULA/link-local count as "Unknown Private"
   * like RFC 1918 (default true; UNCONFIRMED in the spec).
   */
  specialRangesArePrivate: boolean;
  /**
   * Spelling of the unmapped-private flow type: `Unknown Private` (default, as in the schema
   * tables) or `UnknownPrivate` (as in the definitions list). UNCONFIRMED.
   */
  unknownPrivateName: 'Unknown Private' | 'UnknownPrivate';
}

export const DEFAULT_CLASSIFY_OPTIONS: ClassifyOptions = {
  maliciousBeforeAzurePublic: true,
  specialRangesArePrivate: true,
  unknownPrivateName: 'Unknown Private',
};

export interface EnrichmentSources {
  topology: TopologyLookup;
  serviceTags?: ServiceTagIndex | null;
  threats?: ThreatIndex | null;
  geo?: GeoIndex | null;
}

export interface IpFacts {
  text: string;
  parsed: ParsedIp | null;
  endpoint: EndpointInfo | null;
  site: SiteInfo | null;
  isPrivate: boolean;
  /** For a public address: which public flow type it makes. */
  publicType: 'AzurePublic' | 'ExternalPublic' | 'MaliciousFlow' | null;
  azureRegion: string;
  serviceTag: string;
  country: string;
  threat: ThreatInfo | null;
  /** NTAIpDetails.PublicIpDetails. */
  details: string;
}

export function describeIp(text: string, sources: EnrichmentSources, options: ClassifyOptions): IpFacts {
  const parsed = parseIp(text);
  const facts: IpFacts = {
    text,
    parsed,
    endpoint: null,
    site: null,
    isPrivate: false,
    publicType: null,
    azureRegion: '',
    serviceTag: '',
    country: '',
    threat: null,
    details: '',
  };
  if (!parsed) return facts;
  facts.endpoint = sources.topology.endpoint(parsed, text);
  if (facts.endpoint) return facts;
  facts.site = sources.topology.site(parsed, text);
  if (facts.site) return facts;
  const platform = AZURE_PLATFORM_IPS[text];
  if (platform !== undefined) {
    facts.publicType = 'AzurePublic';
    facts.azureRegion = 'Global';
    facts.details = platform;
    return facts;
  }
  if (isPrivateAddress(parsed, options.specialRangesArePrivate)) {
    facts.isPrivate = true;
    return facts;
  }
  const tag = sources.serviceTags?.lookup(parsed) ?? sources.topology.azurePublic?.(parsed, text) ?? undefined;
  const threat = sources.threats?.lookup(parsed) ?? null;
  facts.threat = threat;
  if (tag !== undefined && !(threat && options.maliciousBeforeAzurePublic)) {
    facts.publicType = 'AzurePublic';
    facts.azureRegion = tag.region;
    facts.serviceTag = tag.tag;
    facts.details = tag.systemService || tag.tag;
    return facts;
  }
  facts.country = sources.geo?.country(parsed) ?? '';
  facts.publicType = threat ? 'MaliciousFlow' : 'ExternalPublic';
  return facts;
}

export interface PairClass {
  flowType: FlowType;
  /** 0: no public side; 1: the source is the public endpoint; 2: the destination is. */
  publicSide: 0 | 1 | 2;
  connectionType: string;
  connectionName: string;
  connectingVnets: string;
}

export function classifyPair(src: IpFacts, dst: IpFacts, sources: EnrichmentSources, options: ClassifyOptions): PairClass {
  const a = src.endpoint;
  const b = dst.endpoint;
  if (a && b) {
    if (a.vnetId === b.vnetId) return { flowType: 'IntraVNet', publicSide: 0, connectionType: '', connectionName: '', connectingVnets: '' };
    const link = sources.topology.link(a.vnetId, b.vnetId);
    return {
      flowType: 'InterVNet',
      publicSide: 0,
      connectionType: link?.connectionType ?? '',
      connectionName: '',
      connectingVnets: link?.connectingVnets ?? '',
    };
  }
  if (!a && !b) return { flowType: 'Unknown', publicSide: 0, connectionType: '', connectionName: '', connectingVnets: '' };
  const other = a ? dst : src;
  const side: 1 | 2 = a ? 2 : 1;
  if (other.site) {
    return {
      flowType: other.site.flowType,
      publicSide: 0,
      connectionType: other.site.connectionType,
      connectionName: other.site.connectionName,
      connectingVnets: '',
    };
  }
  if (!other.parsed) return { flowType: 'Unknown', publicSide: 0, connectionType: '', connectionName: '', connectingVnets: '' };
  if (other.isPrivate) {
    return { flowType: options.unknownPrivateName as FlowType, publicSide: 0, connectionType: '', connectionName: '', connectingVnets: '' };
  }
  return { flowType: other.publicType ?? 'ExternalPublic', publicSide: side, connectionType: '', connectionName: '', connectingVnets: '' };
}
