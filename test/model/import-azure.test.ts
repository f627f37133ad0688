import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import { importAzureFolder, loadScenario, parseScenario, type LoadedScenario } from '../../src/model/index.js';
import { compilePolicy, verifyFlow, verifyResultJson } from '../../src/policy/index.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const cliDir = here('./testdata/azure-cli');
const armDir = here('./testdata/azure-arm');
const handWritten = loadScenario(here('./testdata/azure-equivalent.yaml'));

const questions = [
  { from: '198.51.100.10', to: 'web1', protocol: 'tcp', port: 443 },
  { from: '198.51.100.10', to: '20.48.1.4', protocol: 'tcp', port: 443 },
  { from: '198.51.100.10', to: 'web1', protocol: 'tcp', port: 23 },
  { from: '198.51.100.10', to: 'web1', protocol: 'tcp', port: 3389 },
  { from: '198.51.100.10', to: 'web1', protocol: 'tcp', port: 80 },
  { from: 'app1', to: 'web1', protocol: 'tcp', port: 22 },
  { from: 'app1', to: 'web1', protocol: 'tcp', port: 2225 },
  { from: 'app1', to: 'web1', protocol: 'tcp', port: 2231 },
  { from: 'web1', to: 'app1', protocol: 'tcp', port: 8080 },
  { from: 'web1', to: 'app1', protocol: 'tcp', port: 9100 },
  { from: 'web1', to: 'app1', protocol: 'udp', port: 53 },
  { from: 'web1', to: 'app1', protocol: 'tcp', port: 25 },
  { from: 'web1', to: 'pe-st', protocol: 'tcp', port: 443 },
  { from: 'web1', to: '8.8.8.8', protocol: 'tcp', port: 443 },
  { from: 'app1', to: '8.8.8.8', protocol: 'icmp' },
] as const;

function answers(loaded: LoadedScenario) {
  const policy = compilePolicy(loaded.scenario, { serviceTags: loaded.serviceTags });
  return questions.map((q) => {
    const j = verifyResultJson(verifyFlow(loaded, q, policy));
    return { q, decision: j.decision, rule: j.rule, recordedRule: j.recordedRule, chain: j.chain, sides: j.sides };
  });
}

describe('import azure', () => {
  const expected = answers(handWritten);

  it('the hand-written scenario exercises allows, denies, admin rules and both NSG levels', () => {
    const decisions = new Set(expected.map((a) => a.decision));
    expect(decisions).toEqual(new Set(['Allow', 'Deny']));
    const kinds = new Set(expected.map((a) => a.recordedRule?.kind));
    expect(kinds).toEqual(new Set(['admin', 'user', 'default']));
  });

  for (const [shape, dir] of [
    ['Azure CLI (flattened)', cliDir],
    ['ARM / REST / Resource Graph (nested under properties)', armDir],
  ] as const) {
    it(`${shape}: verify gives the same answers as the hand-written scenario`, () => {
      const imported = importAzureFolder(dir);
      expect(answers(imported.loaded)).toEqual(expected);
    });

    it(`${shape}: imports every modelled resource, folds the private endpoint NIC, lists unknown types`, () => {
      const { loaded, ignored, notes } = importAzureFolder(dir);
      const s = loaded.scenario;
      expect(s.vnets.map((v) => v.name).sort()).toEqual(['vnet-hub', 'vnet-spoke']);
      expect(s.vnets[0].encryption).toEqual({ enabled: true, enforcement: 'AllowUnencrypted' });
      expect(s.nics.map((n) => n.name).sort()).toEqual(['app1-nic', 'web1-nic']);
      const web1 = s.nics.find((n) => n.name === 'web1-nic')!;
      expect(web1).toMatchObject({ vm: 'web1', mac: '000D3A51AB01', nsg: 'nsg-web1-nic', asgs: ['asg-web'], acceleratedNetworking: true, publicIp: { ipAddress: '20.48.1.4' } });
      expect(s.privateEndpoints).toEqual([expect.objectContaining({ name: 'pe-st', ip: '10.10.9.4', vnet: 'vnet-hub', subnet: 'snet-pe' })]);
      expect(notes.some((n) => n.includes('pe-st.nic'))).toBe(true);
      expect(ignored).toEqual([expect.objectContaining({ type: 'Microsoft.Network/routeTables', name: 'rt-spoke' })]);
      // The VM resource is read for its size only.
      expect(web1.vmSize).toBe('Standard_D2s_v5');
      expect(s.flowLogs.map((f) => [f.name, f.scope, f.target, f.networkWatcher.name, f.networkWatcher.resourceGroup])).toEqual([
        ['vnet-hub-rg-prod-flowlog', 'vnet', 'vnet-hub', 'NetworkWatcher_japaneast', 'NetworkWatcherRG'],
        ['nsg-web-rg-prod-flowlog', 'nsg', 'nsg-web', 'NetworkWatcher_japaneast', 'NetworkWatcherRG'],
      ]);
      expect(s.flowLogs[0].trafficAnalytics).toMatchObject({ enabled: true, intervalMinutes: 10 });
      expect(s.storageAccounts).toEqual([expect.objectContaining({ name: 'stflowlogs', resourceGroup: 'rg-logs' })]);
      const rules = s.networkManagers[0].securityAdminConfigurations[0].ruleCollections[0].rules;
      expect(rules.map((r) => [r.name, r.access, r.priority])).toEqual([
        ['deny-telnet', 'Deny', 10],
        ['always-allow-monitor', 'AlwaysAllow', 20],
      ]);
    });
  }

  it('ARM template export (expressions, no IDs): same verify answers apart from derived GUIDs', () => {
    const templateDir = here('./testdata/azure-template');
    const imported = importAzureFolder(templateDir, { subscription: '3f2b8c1e-7d4a-4e6b-9c2d-5a1f0e9b8c7d', resourceGroup: 'rg-prod' });
    expect(imported.notes[0]).toMatch(/ARM template/);
    // Exports carry no resourceGuid: GUIDs are derived, everything else must match.
    const strip = (x: unknown): unknown =>
      JSON.parse(JSON.stringify(x, (k, v) => (k === 'aclId' || k === 'ruleGuid' ? undefined : v)));
    expect(strip(answers(imported.loaded))).toEqual(strip(expected));
    // Without --subscription the placeholder subscription is used and said so.
    expect(importAzureFolder(templateDir).notes[0]).toContain('00000000-0000-0000-0000-000000000000');
  });

  it('both shapes give the same scenario', () => {
    const { name: _a, ...fromCli } = importAzureFolder(cliDir).loaded.scenario;
    const { name: _b, ...fromArm } = importAzureFolder(armDir).loaded.scenario;
    expect(fromCli).toEqual(fromArm);
  });

  it('the written YAML loads back to the same scenario', () => {
    const { scenario, loaded } = importAzureFolder(cliDir);
    expect(parseScenario(stringify(scenario)).scenario).toEqual(loaded.scenario);
  });

  it('bad JSON is reported with its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-import-'));
    writeFileSync(join(dir, 'broken.json'), '{"value": [');
    expect(() => importAzureFolder(dir)).toThrow(ScenarioError);
    expect(() => importAzureFolder(dir)).toThrow(/broken\.json.*not valid JSON/);
  });

  it('flowlens import azure --out writes a scenario that flowlens verify reads', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'flowlens-import-')), 'scenario.yaml');
    const tsx = here('../../node_modules/.bin/tsx');
    const main = here('../../src/cli/main.ts');
    const stdout = execFileSync(tsx, [main, 'import', 'azure', armDir, '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('vnet-hub');
    const json = execFileSync(tsx, [main, 'verify', out, '--from', '198.51.100.10', '--to', 'web1', '--protocol', 'tcp', '--port', '23', '--json'], { encoding: 'utf8' });
    const last = JSON.parse(json.trim().split('\n').pop() as string);
    expect(last.decision).toBe('Deny');
    expect(last.recordedRule).toMatchObject({ name: 'deny-telnet', kind: 'admin', aclId: '4d4d4d4d-0000-4000-8000-000000000001', ruleGuid: '6f6f6f6f-0000-4000-8000-000000000001' });
  }, 180_000);
});

