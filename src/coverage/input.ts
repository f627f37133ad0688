/**
 * What `coverage` and `migrate` read: a scenario file (YAML/JSON), or a folder of Azure CLI /
 * ARM JSON exports turned into a scenario by the model's Azure importer.
 */
import { statSync } from 'node:fs';
import { ScenarioError } from '../errors.js';
import { loadScenario, type Scenario, type ServiceTagSet } from '../model/index.js';
import { importAzureFolder } from './azure-input.js';

export interface CoverageInput {
  scenario: Scenario;
  serviceTags?: ServiceTagSet;
  /** `scenario` (file) or `azure` (folder of JSON exports). */
  kind: 'scenario' | 'azure';
  source: string;
}

export function loadCoverageInput(path: string): CoverageInput {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new ScenarioError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { file: path },
    );
  }
  if (isDir) {
    const { scenario, serviceTags } = importAzureFolder(path);
    return { scenario, serviceTags, kind: 'azure', source: path };
  }
  const loaded = loadScenario(path);
  return { scenario: loaded.scenario, serviceTags: loaded.serviceTags, kind: 'scenario', source: path };
}
