/**
 * Adapter to the model's `flowlens import azure` library function (issue 3). Kept in one place so
 * coverage/migrate call exactly what `flowlens import azure` calls.
 */
import { UsageError } from '../errors.js';
import type { Scenario, ServiceTagSet } from '../model/index.js';

export function importAzureFolder(dir: string): { scenario: Scenario; serviceTags?: ServiceTagSet } {
  throw new UsageError(`${dir}: reading Azure JSON exports needs the model's Azure importer, which this build does not have yet`);
}
