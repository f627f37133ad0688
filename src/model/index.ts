/**
 * The network model: scenario types and zod schemas, the loader (YAML/JSON with located errors),
 * semantic checks, ARM-like resource IDs, Service Tags, and the address index.
 */
export * from './schema.js';
export * from './ids.js';
export * from './ip.js';
export {
  parseScenario,
  loadScenario,
  validateScenario,
  formatJsonPath,
  SCENARIO_LIMITS,
  type LoadedScenario,
  type ParseOptions,
} from './load.js';
export { checkScenario, resolveScenario, type Locate, type CheckOptions } from './check.js';
export * from './service-tags.js';
export * from './encryption.js';
export * from './address-index.js';
export { importAzureFolder, importAzureResources, type AzureImport, type IgnoredResource, type ImportOptions } from './import-azure.js';
export { templateResources, isArmTemplate, buildResourceId, type TemplateContext } from './arm-template.js';
