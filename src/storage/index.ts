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
// Writing side (sinks): owner emulator (issue 4).
export * from './sink.js';
export { createFolderSink } from './sink-fs.js';
export { createAzureBlobSink, blobServiceFrom, type AzureSinkOptions } from './sink-azure.js';
