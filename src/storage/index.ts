// Reading side (sources, deltas, checkpoints, leases): owner ingest (issue 5).
export * from './blocks.js';
export * from './source.js';
export { framedDelta, type RangeReader } from './source-framed.js';
export { openFolderSource, openFolderSources } from './source-folder.js';
export {
  openAzureSource,
  containerClientFor,
  containerIdentity,
  type AzureContainerTarget,
  type AzureSourceOptions,
} from './source-azure.js';
export * from './lease.js';
export * from './checkpoint.js';
