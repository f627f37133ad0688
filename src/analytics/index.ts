/**
 * The analytics stage: enrichment (topology, Service Tags, geolocation, threat list), flow-type
 * classification and aggregation into Traffic Analytics-shaped partial rows. It never talks to
 * a database: `analyze()` returns `TableRows` that ingestion passes to `Store.commit`.
 */
export { analyze, createAnalyticsContext, describeTarget, ruleTypeOf, ENCRYPTION_NAMES, type AnalyticsContext } from './analyze.js';
export {
  classifyPair,
  describeIp,
  DEFAULT_CLASSIFY_OPTIONS,
  FLOW_TYPES,
  AZURE_HOST_IP,
  AZURE_PLATFORM_IPS,
  type ClassifyOptions,
  type EnrichmentSources,
  type FlowType,
  type IpFacts,
  type PairClass,
} from './classify.js';
export {
  createStaticTopology,
  EMPTY_TOPOLOGY,
  type EndpointInfo,
  type SiteInfo,
  type StaticTopology,
  type TopologyLookup,
  type VnetLink,
} from './topology.js';
export {
  bundledGeoIndex,
  EnrichmentFileError,
  loadGeoCsv,
  loadServiceTags,
  loadThreatList,
  parseGeoCsv,
  parseServiceTags,
  parseThreatList,
  THREAT_TYPES,
  type EnrichmentFileLocation,
  type GeoIndex,
  type ServiceTagIndex,
  type ServiceTagMatch,
  type ThreatIndex,
  type ThreatInfo,
} from './sources.js';
export { createPrefixTable, parseIp, parsePrefix, type ParsedIp } from './prefix.js';
export { analyticsOptionsSchema, loadAnalyticsContext, type AnalyticsOptions } from './config.js';
export { topologyFromScenario, loadTopologyFromScenario, topologyRows } from './scenario.js';
