import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import {
  buildAddressIndex,
  flowLogId,
  loadScenario,
  lookupAddress,
  nicSupportsEncryption,
  parseScenario,
  resolveEndpointRef,
  stableGuid,
  stableMac,
  vnetId,
  subnetId,
  parseResourceId,
  vmSizeSupportsEncryption,
} from '../../src/model/index.js';

const base = `
defaults: { resourceGroup: rg-lab, location: japaneast }
subscriptions: [{ id: 11111111-2222-3333-4444-555555555555, name: lab }]
vnets:
  - name: vnet1
    addressSpace: [10.1.0.0/16]
    subnets:
      - { name: default, addressPrefix: 10.1.0.0/24, nsg: nsg1 }
  - name: vnet2
    addressSpace: [10.2.0.0/16]
    peerings: [{ remoteVnet: vnet1 }]
nsgs:
  - name: nsg1
    securityRules:
      - name: allow-rdp
        priority: 100
        direction: Inbound
        access: Allow
        protocol: Tcp
        sourceAddressPrefix: '*'
        destinationAddressPrefix: '*'
        destinationPortRange: '3389'
nics:
  - { name: vm1-nic, vm: vm1, vnet: vnet1, subnet: default, privateIps: [10.1.0.4], mac: 00-0d-3a-aa-bb-cc }
storageAccounts: [{ name: flowlogsst }]
flowLogs:
  - { name: vnet1-rg-lab-flowlog, scope: vnet, target: vnet1, storageAccount: flowlogsst }
`;

function expectError(text: string, match: { line?: number; path?: string; reason: RegExp }) {
  let err: unknown;
  try {
    parseScenario(text, 'lab.yaml');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ScenarioError);
  const se = err as ScenarioError;
  expect(se.message).not.toContain('\n');
  expect(se.location.file).toBe('lab.yaml');
  if (match.line !== undefined) expect(se.location.line).toBe(match.line);
  if (match.path !== undefined) expect(se.location.path).toBe(match.path);
  expect(se.reason).toMatch(match.reason);
  return se;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('parseScenario', () => {
  it('loads a valid scenario and applies defaults', () => {
    const { scenario } = parseScenario(base, 'lab.yaml');
    expect(scenario.vnets[0]).toMatchObject({ subscription: '11111111-2222-3333-4444-555555555555', resourceGroup: 'rg-lab', location: 'japaneast' });
    expect(scenario.nics[0].mac).toBe('000D3AAABBCC');
    expect(scenario.nics[0].location).toBe('japaneast');
    expect(scenario.nsgs[0].securityRules[0].protocol).toBe('Tcp');
    expect(scenario.flowLogs[0].networkWatcher).toEqual({ name: 'NetworkWatcher_japaneast', resourceGroup: 'NetworkWatcherRG' });
    expect(flowLogId(scenario.flowLogs[0])).toBe(
      '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_japaneast/flowLogs/vnet1-rg-lab-flowlog',
    );
    expect(scenario.nsgEvaluationOrder).toBe('documented');
  });

  it('accepts the same scenario as JSON', () => {
    const { scenario: fromYaml } = parseScenario(base, 'a.yaml');
    const { scenario: fromJson } = parseScenario(JSON.stringify(fromYaml), 'a.json');
    expect(fromJson).toEqual(fromYaml);
  });

  it('normalises enum casing', () => {
    const { scenario } = parseScenario(base.replace('direction: Inbound', 'direction: inbound').replace('protocol: Tcp', 'protocol: TCP'), 'x.yaml');
    expect(scenario.nsgs[0].securityRules[0]).toMatchObject({ direction: 'Inbound', protocol: 'Tcp' });
  });

  it('rejects two rules with the same priority and direction, at the second rule', () => {
    const text = base.replace(
      "        destinationPortRange: '3389'\n",
      "        destinationPortRange: '3389'\n      - { name: deny-all, priority: 100, direction: Inbound, access: Deny, protocol: '*', sourceAddressPrefix: '*', destinationAddressPrefix: '*' }\n",
    );
    expectError(text, { line: lineOf(text, 'deny-all'), path: 'nsgs[0].securityRules[1].priority', reason: /same priority 100/ });
  });

  it('allows the same priority in opposite directions', () => {
    const text = base.replace(
      "        destinationPortRange: '3389'\n",
      "        destinationPortRange: '3389'\n      - { name: out, priority: 100, direction: Outbound, access: Deny, protocol: '*', sourceAddressPrefix: '*', destinationAddressPrefix: '*' }\n",
    );
    expect(parseScenario(text).scenario.nsgs[0].securityRules).toHaveLength(2);
  });

  it('names the line and path of a wrong type', () => {
    const text = base.replace('priority: 100', 'priority: high');
    expectError(text, { line: lineOf(text, 'priority: high'), path: 'nsgs[0].securityRules[0].priority', reason: /number/ });
  });

  it('reports unknown fields', () => {
    const text = base.replace('vm: vm1,', 'vmm: vm1,');
    expectError(text, { path: 'nics[0]', reason: /unknown field "vmm"/ });
  });

  it('rejects invalid CIDRs', () => {
    expectError(base.replace('[10.1.0.0/16]', '[10.1.0.300/16]'), { path: 'vnets[0].addressSpace[0]', reason: /IP address or CIDR/ });
    expectError(base.replace('[10.1.0.0/16]', '[10.1.0.1/16]'), { path: 'vnets[0].addressSpace[0]', reason: /zero host bits/ });
    expectError(base.replace("sourceAddressPrefix: '*'", 'sourceAddressPrefix: 10.9.9.9/8'), {
      path: 'nsgs[0].securityRules[0].sourceAddressPrefix',
      reason: /host bits set; did you mean 10.0.0.0\/8/,
    });
  });

  it('rejects an IP outside its subnet and reserved addresses', () => {
    expectError(base.replace('privateIps: [10.1.0.4]', 'privateIps: [10.1.1.4]'), { path: 'nics[0].privateIps[0]', reason: /outside subnet vnet1\/default/ });
    expectError(base.replace('privateIps: [10.1.0.4]', 'privateIps: [10.1.0.2]'), { path: 'nics[0].privateIps[0]', reason: /reserved/ });
  });

  it('rejects a subnet outside its VNet', () => {
    expectError(base.replace('addressPrefix: 10.1.0.0/24', 'addressPrefix: 10.3.0.0/24'), { path: 'vnets[0].subnets[0].addressPrefixes[0]', reason: /outside the VNet/ });
  });

  it('rejects overlapping address spaces across peered VNets', () => {
    const text = base.replace('[10.2.0.0/16]', '[10.1.128.0/17]');
    expectError(text, { line: lineOf(text, 'remoteVnet: vnet1'), path: 'vnets[1].peerings[0].remoteVnet', reason: /overlapping/ });
  });

  it('rejects unknown references', () => {
    expectError(base.replace('nsg: nsg1 }', 'nsg: nope }'), { path: 'vnets[0].subnets[0].nsg', reason: /unknown NSG "nope"/ });
    expectError(base.replace('remoteVnet: vnet1', 'remoteVnet: vnet9'), { path: 'vnets[1].peerings[0].remoteVnet', reason: /unknown VNet/ });
    expectError(base.replace('target: vnet1', 'target: vnet7'), { path: 'flowLogs[0].target', reason: /unknown vnet "vnet7"/ });
    expectError(base.replace("sourceAddressPrefix: '*'", 'sourceAddressPrefix: NoSuchTag'), { reason: /unknown service tag "NoSuchTag"/ });
    expectError(base.replace('subscriptions: [{ id: 11111111-2222-3333-4444-555555555555, name: lab }]', 'subscriptions: [{ id: 11111111-2222-3333-4444-555555555555 }]\ndefaults2: 1'), {
      reason: /unknown field "defaults2"/,
    });
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    const broken = base.replace('  - name: vnet2', '  - name: vnet2\n    addressSpace: [10.2.0.0/16\n');
    const e = expectError(broken, { reason: /.+/ });
    expect(e.location.line).toBeGreaterThan(0);
    const dup = base.replace('    addressSpace: [10.2.0.0/16]', '    addressSpace: [10.2.0.0/16]\n    addressSpace: [10.3.0.0/16]');
    expectError(dup, { line: lineOf(dup, '10.3.0.0/16'), reason: /unique|duplicate/i });
  });

  it('refuses a 10 MB YAML alias bomb without expanding it', () => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 40; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
    const padding = `padding: "${'x'.repeat(10 * 1024 * 1024)}"`;
    const text = `${padding}\n${lines.join('\n')}\nsubscriptions: [{ id: 11111111-2222-3333-4444-555555555555 }]\n`;
    expect(text.length).toBeGreaterThan(10 * 1024 * 1024);
    const before = process.memoryUsage().heapUsed;
    expectError(text, { reason: /refused: .*alias/i });
    // Expanding even level 6 would need 10^7 nodes; the heap must not have grown by hundreds of MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses a small alias bomb that hides below the token count (expansion limit)', () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
    expect(lines.join('\n').match(/\*a/g)?.length).toBeLessThanOrEqual(100);
    expectError(`${lines.join('\n')}\nsubscriptions: [{ id: 11111111-2222-3333-4444-555555555555 }]\n`, { reason: /refused: .*alias/i });
  });

  it('accepts a few ordinary anchors and aliases', () => {
    const text = base.replace('nsgs:\n  - name: nsg1', 'x-common: &loc japaneast\nnsgs:\n  - name: nsg1\n    location: *loc');
    expect(() => parseScenario(text)).toThrow(/unknown field "x-common"/);
    const ok = base.replace('  - name: nsg1', '  - name: nsg1\n    location: &loc japaneast').replace('  - { name: vm1-nic,', '  - { location: *loc, name: vm1-nic,');
    expect(parseScenario(ok).scenario.nics[0].location).toBe('japaneast');
  });

  it('loadScenario reads Service Tags files relative to the scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-model-'));
    writeFileSync(join(dir, 'tags.json'), JSON.stringify({ changeNumber: 1, cloud: 'Public', values: [{ name: 'Sql.JapanEast', id: 'Sql.JapanEast', properties: { addressPrefixes: ['40.79.184.0/21'] } }] }));
    writeFileSync(join(dir, 's.yaml'), base.replace("sourceAddressPrefix: '*'", 'sourceAddressPrefix: Sql.JapanEast') + 'serviceTags: { files: [tags.json] }\n');
    const loaded = loadScenario(join(dir, 's.yaml'));
    expect(loaded.serviceTags.get('sql.japaneast')?.addressPrefixes).toEqual(['40.79.184.0/21']);
    writeFileSync(join(dir, 'tags.json'), '{"values": 3}');
    expect(() => loadScenario(join(dir, 's.yaml'))).toThrow(/tags.json.*not a Service Tags file/);
    expect(() => loadScenario(join(dir, 'missing.yaml'))).toThrow(ScenarioError);
  });
});

describe('resource IDs and derived identifiers', () => {
  const { scenario } = parseScenario(base);
  it('builds ARM-like IDs and parses them back', () => {
    const id = subnetId(scenario.vnets[0], 'default');
    expect(id).toBe('/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-lab/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default');
    expect(parseResourceId(id)).toEqual({
      subscription: '11111111-2222-3333-4444-555555555555',
      resourceGroup: 'rg-lab',
      provider: 'Microsoft.Network',
      segments: [
        ['virtualNetworks', 'vnet1'],
        ['subnets', 'default'],
      ],
    });
  });
  it('derives stable GUIDs and MACs, case-insensitively', () => {
    const id = vnetId(scenario.vnets[0]);
    expect(stableGuid(id)).toBe(stableGuid(id.toUpperCase()));
    expect(stableGuid(id)).not.toBe(stableGuid(`${id}x`));
    expect(stableMac(id)).toMatch(/^000D3A[0-9A-F]{6}$/);
  });
  it('knows which VM sizes support VNet encryption', () => {
    expect(vmSizeSupportsEncryption('Standard_D4ds_v5')).toBe(true);
    expect(vmSizeSupportsEncryption('Standard_E8as_v6')).toBe(true);
    expect(vmSizeSupportsEncryption('Standard_D2_v2')).toBe(false);
    expect(vmSizeSupportsEncryption('Standard_B2s')).toBe(false);
    expect(nicSupportsEncryption({ acceleratedNetworking: false, vmSize: 'Standard_D4ds_v5' })).toBe(false);
    expect(nicSupportsEncryption({ acceleratedNetworking: true, vmSize: 'Standard_D4ds_v5' })).toBe(true);
    expect(nicSupportsEncryption({ acceleratedNetworking: true, vmSize: 'Standard_B2s', encryptionSupported: true })).toBe(true);
  });
});

describe('address index', () => {
  const labPath = fileURLToPath(new URL('../policy/testdata/lab.yaml', import.meta.url));
  const { scenario } = loadScenario(labPath);
  const index = buildAddressIndex(scenario);
  it('maps IPs to NICs, public IPs, private endpoints, external hosts, VNets and the platform', () => {
    expect(lookupAddress(index, '10.1.1.4')).toMatchObject({ kind: 'nic', nic: 0, vnet: 0, subnet: 'web' });
    expect(lookupAddress(index, '20.10.0.4')).toMatchObject({ kind: 'nicPublicIp', nic: 0, privateIp: '10.1.1.4' });
    expect(lookupAddress(index, '10.1.9.4')).toMatchObject({ kind: 'privateEndpoint', privateEndpoint: 0 });
    expect(lookupAddress(index, '192.168.50.77')).toMatchObject({ kind: 'externalHost', externalHost: 1 });
    expect(lookupAddress(index, '10.2.0.200')).toMatchObject({ kind: 'vnetAddress', vnet: 1, subnet: 'default' });
    expect(lookupAddress(index, '10.1.200.1')).toMatchObject({ kind: 'vnetAddress', vnet: 0 });
    expect(lookupAddress(index, '10.1.200.1').subnet).toBeUndefined();
    expect(lookupAddress(index, '168.63.129.16').kind).toBe('platform');
    expect(lookupAddress(index, '8.8.8.8').kind).toBe('unknown');
  });
  it('resolves VM, NIC, private endpoint and external host names', () => {
    expect(resolveEndpointRef(scenario, index, 'web1')).toMatchObject({ kind: 'nic', ip: '10.1.1.4' });
    expect(resolveEndpointRef(scenario, index, 'WEB2-NIC')).toMatchObject({ kind: 'nic', ip: '10.1.1.5' });
    expect(resolveEndpointRef(scenario, index, 'st-pe')).toMatchObject({ kind: 'privateEndpoint', ip: '10.1.9.4' });
    expect(resolveEndpointRef(scenario, index, 'branch')).toMatchObject({ kind: 'externalHost', ip: '192.168.50.1' });
    expect(resolveEndpointRef(scenario, index, 'nothing')).toBeNull();
  });
});

describe('region checks', () => {
  it('rejects an NSG from another region on a subnet, and a flow log storage account in another region', () => {
    const nsgElsewhere = base.replace('  - name: nsg1\n', '  - name: nsg1\n    location: westeurope\n');
    expect(() => parseScenario(nsgElsewhere, 'r.yaml')).toThrow(/vnets\[0\]\.subnets\[0\]\.nsg: NSG nsg1 is in westeurope but VNet vnet1 is in japaneast/);
    const storageElsewhere = base.replace('storageAccounts: [{ name: flowlogsst }]', 'storageAccounts: [{ name: flowlogsst, location: eastus }]');
    expect(() => parseScenario(storageElsewhere, 'r.yaml')).toThrow(/flowLogs\[0\]\.storageAccount: storage account flowlogsst is in eastus/);
  });
});
