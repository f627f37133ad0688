export * from './flowbatch.js';
export { FlowLogFormatError } from '../errors.js';
