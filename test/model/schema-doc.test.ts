import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, scenarioInputSchema } from '../../src/model/index.js';
import { EXAMPLE, renderScenarioDoc, SCENARIO_DOC_PATH } from '../../src/model/schema-doc.js';

describe('docs/scenario.md', () => {
  it('is exactly what the schema generates (run `npx tsx src/model/schema-doc.ts` after changing the schema)', () => {
    expect(readFileSync(SCENARIO_DOC_PATH, 'utf8')).toBe(renderScenarioDoc());
  });
  it('documents every top-level field and nested list', () => {
    const doc = renderScenarioDoc();
    for (const key of Object.keys(scenarioInputSchema.shape)) expect(doc).toContain(`| \`${key}\` |`);
    for (const section of ['vnets[].subnets[]', 'nsgs[].securityRules[]', 'networkManagers[].securityAdminConfigurations[].ruleCollections[].rules[]', 'flowLogs[]', 'traffic[]'])
      expect(doc).toContain(`### \`${section}\``);
  });
  it('its example is a valid scenario', () => {
    const { scenario } = parseScenario(EXAMPLE, 'docs/scenario.md');
    expect(scenario.traffic[0]).toMatchObject({ name: 'rdp', ports: ['3389'], sessionSeconds: 300 });
  });
});
