import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCoverageInput } from '../../src/coverage/index.js';
import { ScenarioError } from '../../src/errors.js';

const ESTATE = join(import.meta.dirname, 'testdata/estate-30nsg');
const tmp = mkdtempSync(join(tmpdir(), 'flowlens-azjson-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** CLI shape → ARM/REST shape: everything but id/name/type/location/resourceGroup under `properties`. */
function toArm(o: Record<string, unknown>): Record<string, unknown> {
  const { id, name, type, location, resourceGroup: _rg, ...rest } = o;
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest))
    props[k] =
      Array.isArray(v) && k !== 'addressPrefixes'
        ? v.map((x) => (x && typeof x === 'object' && 'type' in x ? toArm(x as Record<string, unknown>) : x))
        : v;
  return { id, name, type, ...(location ? { location } : {}), properties: props };
}

describe('Azure JSON folder input', () => {
  it('CLI shape and ARM shape ({value:[...]}, properties nested) give the same scenario', () => {
    const arm = join(tmp, 'arm');
    mkdirSync(join(arm, 'nested'), { recursive: true });
    for (const f of readdirSync(ESTATE)) {
      const items = JSON.parse(readFileSync(join(ESTATE, f), 'utf8')) as Record<string, unknown>[];
      writeFileSync(join(arm, 'nested', `x-${f}`), JSON.stringify({ value: items.map(toArm) }));
    }
    const a = loadCoverageInput(ESTATE).scenario;
    const b = loadCoverageInput(arm).scenario;
    expect(b.nsgs).toHaveLength(30);
    expect(JSON.stringify({ ...b, name: a.name })).toBe(JSON.stringify(a));
  });

  it('a broken JSON file is a located ScenarioError', () => {
    const bad = join(tmp, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'nsgs.json'), '[{"type": "Microsoft.Network/networkSecurityGroups",');
    expect(() => loadCoverageInput(bad)).toThrow(ScenarioError);
    expect(() => loadCoverageInput(bad)).toThrow(/nsgs\.json/);
  });
});
