export * from './errors.js';
export * as formats from './formats/index.js';
