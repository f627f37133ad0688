/**
 * Azure JSON exports for `coverage` / `migrate <az-json-dir>`: exactly what `flowlens import azure`
 * reads (the model's `importAzureFolder`), so the two commands see the same scenario.
 */
import {
  importAzureFolder as importAzure,
  type IgnoredResource,
  type Scenario,
  type ServiceTagSet,
} from '../model/index.js';

export interface AzureFolderImport {
  scenario: Scenario;
  serviceTags?: ServiceTagSet;
  ignored: IgnoredResource[];
  notes: string[];
}

export function importAzureFolder(dir: string): AzureFolderImport {
  const r = importAzure(dir);
  return {
    scenario: r.loaded.scenario,
    serviceTags: r.loaded.serviceTags,
    ignored: r.ignored,
    notes: r.notes,
  };
}
