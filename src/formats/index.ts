/**
 * The format library: codecs for VNet flow logs (v4) and NSG flow logs (v1, v2), blob paths,
 * and the columnar `FlowBatch`. See docs/formats.md.
 */
export * from './flowbatch.js';
export * from './records.js';
export * from './encode.js';
export * from './paths.js';
export * from './files.js';
export { FlowLogFormatError } from '../errors.js';
export {
  createBatchPool,
  createDecoder,
  createDecoderCache,
  decodeBuffer,
  decodeNsg,
  decodeRecords,
  decodeStream,
  decodeVnetV4,
  emptyStats,
  type BatchPool,
  type DecodeBufferOptions,
  type DecodedBuffer,
  type DecoderCache,
  type DecodeOptions,
  type DecodeStats,
  type FlowDecoder,
} from './decode.js';
