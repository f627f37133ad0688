import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/model/index.js';
import { compilePolicy, evaluate } from '../../src/policy/index.js';

/** The seed article's lab: RDP from the internet to a VM, an AVNM admin rule and an NSG rule on TCP/3389. */
function lab(adminAction: 'AlwaysAllow' | 'Deny' | 'Allow', nsgAccess: 'Allow' | 'Deny') {
  return validateScenario({
    defaults: { resourceGroup: 'rg-seed', location: 'japaneast' },
    subscriptions: [{ id: '0a0b0c0d-0000-4000-8000-000000000001' }],
    vnets: [{ name: 'vnet-seed', addressSpace: ['10.0.0.0/16'], subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24', nsg: 'nsg-vm' }] }],
    nsgs: [
      {
        name: 'nsg-vm',
        securityRules: [
          { name: 'rdp', priority: 300, direction: 'Inbound', access: nsgAccess, protocol: 'Tcp', sourceAddressPrefix: '*', destinationAddressPrefix: '*', destinationPortRange: '3389' },
        ],
      },
    ],
    nics: [{ name: 'vm1-nic', vm: 'vm1', vnet: 'vnet-seed', subnet: 'default', privateIps: ['10.0.0.4'], publicIp: { ipAddress: '20.0.0.4' } }],
    networkManagers: [
      {
        name: 'avnm',
        networkGroups: [{ name: 'ng-all', members: ['vnet-seed'] }],
        securityAdminConfigurations: [
          {
            name: 'sac',
            ruleCollections: [
              {
                name: 'rc',
                appliesToGroups: ['ng-all'],
                rules: [{ name: 'admin-rdp', priority: 10, direction: 'Inbound', access: adminAction, protocol: 'Tcp', destinationPortRanges: ['3389'] }],
              },
            ],
          },
        ],
      },
    ],
    externalHosts: [{ name: 'client', kind: 'internet', addresses: ['198.51.100.10'] }],
  });
}

const rdp = { srcIp: '198.51.100.10', dstIp: '20.0.0.4', srcPort: 51000, dstPort: 3389, protocol: 'tcp' };

// Seed-observations "AVNM security admin rule x NSG rule, RDP (TCP/3389)", rows 1–6.
const rows = [
  { n: 1, admin: 'AlwaysAllow', nsg: 'Allow', decision: 'Allow', recorded: 'admin' },
  { n: 2, admin: 'AlwaysAllow', nsg: 'Deny', decision: 'Allow', recorded: 'admin' },
  { n: 3, admin: 'Deny', nsg: 'Allow', decision: 'Deny', recorded: 'admin' },
  { n: 4, admin: 'Deny', nsg: 'Deny', decision: 'Deny', recorded: 'admin' },
  { n: 5, admin: 'Allow', nsg: 'Allow', decision: 'Allow', recorded: 'nsg' },
  { n: 6, admin: 'Allow', nsg: 'Deny', decision: 'Deny', recorded: 'nsg' },
] as const;

describe('AVNM security admin rule x NSG rule (seed table)', () => {
  for (const row of rows) {
    it(`row ${row.n}: ${row.admin} x ${row.nsg} -> ${row.decision}, recorded: ${row.recorded} rule`, () => {
      const { scenario } = lab(row.admin, row.nsg);
      const policy = compilePolicy(scenario);
      const v = evaluate(policy, rdp);
      expect(v.decision).toBe(row.decision);
      if (row.recorded === 'admin') {
        expect(v.recordedRule?.kind).toBe('admin');
        expect(v.recordedRule?.flowLogName).toBe('admin-rdp');
        expect(v.recordedRule?.access).toBe(row.admin);
        expect(v.recordedRule?.admin?.configuration).toBe('sac');
        expect(v.recordedRule?.admin?.networkGroups).toEqual(['ng-all']);
        // NSGs are never consulted and NSG flow logs record nothing.
        expect(v.chain.map((c) => c.stage)).toEqual(['admin']);
        expect(v.sides[0].nsgFlowLogRule).toBeNull();
      } else {
        expect(v.recordedRule?.kind).toBe('user');
        expect(v.recordedRule?.flowLogName).toBe('UserRule_rdp');
        expect(v.recordedRule?.nsg?.name).toBe('nsg-vm');
        expect(v.sides[0].nsgFlowLogRule?.flowLogName).toBe('UserRule_rdp');
        expect(v.chain[0]).toMatchObject({ stage: 'admin', result: 'Continue' });
        expect(v.chain.some((c) => c.stage === 'subnet-nsg' && c.rule?.name === 'rdp')).toBe(true);
      }
    });
  }

  it('gives admin rules stable, distinct GUIDs for aclID and the _<guid> suffix', () => {
    const a = compilePolicy(lab('Deny', 'Allow').scenario);
    const b = compilePolicy(lab('Deny', 'Deny').scenario);
    const ra = evaluate(a, rdp).recordedRule!;
    const rb = evaluate(b, rdp).recordedRule!;
    expect(ra.ruleGuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ra.ruleGuid).toBe(rb.ruleGuid);
    expect(ra.aclId).toBe(ra.admin?.configurationGuid);
    expect(ra.aclId).not.toBe(ra.ruleGuid);
  });

  it('admin rules are evaluated by ascending priority across collections', () => {
    const loaded = lab('Allow', 'Allow');
    const cfg = loaded.scenario.networkManagers[0].securityAdminConfigurations[0];
    cfg.ruleCollections.push({
      name: 'rc2',
      appliesToGroups: ['ng-all'],
      rules: [
        { name: 'deny-first', priority: 5, direction: 'Inbound', access: 'Deny', protocol: 'Any', sources: [], destinations: [], sourcePortRanges: [], destinationPortRanges: [] },
      ],
    });
    const v = evaluate(compilePolicy(loaded.scenario), rdp);
    expect(v.decision).toBe('Deny');
    expect(v.recordedRule?.name).toBe('deny-first');
  });

  it('admin rules do not apply to VNets outside the network group', () => {
    const loaded = lab('Deny', 'Allow');
    loaded.scenario.networkManagers[0].networkGroups[0].members = [];
    const v = evaluate(compilePolicy(loaded.scenario), rdp);
    expect(v.decision).toBe('Allow');
    expect(v.recordedRule?.flowLogName).toBe('UserRule_rdp');
  });
});
