/**
 * Coverage and migration planning: what each flow-log configuration records or misses (computed
 * with the emulator's recorder and the rule engine), and the move from NSG flow logs to VNet flow
 * logs. See docs/coverage.md.
 */
export * from './config.js';
export { probesFor, endpointLabel, type Probe, type ProbeKind } from './patterns.js';
export * from './coverage.js';
export * from './table.js';
export { loadCoverageInput, type CoverageInput } from './input.js';
export * from './migrate.js';
export { renderBicep, bicepIdentifier, type BicepFile } from './bicep.js';
export { readStoreVolume, type StoreVolume, type NicVolume } from './volume.js';
