import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, parseIpv4, formatIpv4, type LoadedScenario } from '../../src/model/index.js';
import {
  compilePolicy,
  createConnectionTable,
  evaluate,
  evaluateFast,
  evaluatePacket,
  newFastVerdict,
  chooseNsgOrder,
  type Flow,
  type Policy,
  type RuleRef,
} from '../../src/policy/index.js';
import { naiveEvaluate } from '../../src/policy/naive.js';
import { randomFlows, syntheticPolicyScenario } from '../../src/policy/synthetic.js';

const labPath = fileURLToPath(new URL('./testdata/lab.yaml', import.meta.url));
let lab: LoadedScenario;
let policy: Policy;
beforeAll(() => {
  lab = loadScenario(labPath);
  policy = compilePolicy(lab.scenario, { serviceTags: lab.serviceTags });
});

const tcp = (srcIp: string, dstIp: string, dstPort: number, srcPort = 50123): Flow => ({ srcIp, dstIp, srcPort, dstPort, protocol: 'tcp' });
const INTERNET = '198.51.100.10';
const WEB1 = '10.1.1.4';
const WEB1_PUBLIC = '20.10.0.4';
const WEB2 = '10.1.1.5';
const APP1 = '10.1.2.4';
const B1 = '10.2.0.4';
const C1 = '10.3.0.4';

describe('default rules', () => {
  const cases: { name: string; flow: () => Flow; rule: string; priority: number; decision: string }[] = [
    { name: 'AllowVnetInBound', flow: () => tcp(APP1, WEB2, 22), rule: 'DefaultRule_AllowVnetInBound', priority: 65000, decision: 'Allow' },
    { name: 'AllowAzureLoadBalancerInBound', flow: () => tcp('168.63.129.16', WEB2, 80), rule: 'DefaultRule_AllowAzureLoadBalancerInBound', priority: 65001, decision: 'Allow' },
    { name: 'DenyAllInBound', flow: () => tcp(INTERNET, WEB2, 22), rule: 'DefaultRule_DenyAllInBound', priority: 65500, decision: 'Deny' },
    { name: 'AllowVnetOutBound', flow: () => tcp(B1, APP1, 22), rule: 'DefaultRule_AllowVnetOutBound', priority: 65000, decision: 'Allow' },
    { name: 'AllowInternetOutBound', flow: () => tcp(WEB2, '8.8.8.8', 443), rule: 'DefaultRule_AllowInternetOutBound', priority: 65001, decision: 'Allow' },
    { name: 'DenyAllOutBound', flow: () => tcp(C1, APP1, 22), rule: 'DefaultRule_DenyAllOutBound', priority: 65500, decision: 'Deny' },
  ];
  for (const c of cases) {
    it(`${c.name} decides with its flow-log name and priority`, () => {
      const v = evaluate(policy, c.flow());
      expect(v.decision).toBe(c.decision);
      const deciding = c.name.endsWith('OutBound') ? v.sides[0].decidingRule : v.sides[v.sides.length - 1].decidingRule;
      expect(deciding?.flowLogName).toBe(c.rule);
      expect(deciding?.priority).toBe(c.priority);
      expect(deciding?.kind).toBe('default');
      expect(deciding?.resourceId).toMatch(/\/networkSecurityGroups\/[^/]+\/defaultSecurityRules\//);
    });
  }
  it('the default rules of one NSG carry that NSG as aclID', () => {
    const v = evaluate(policy, tcp(INTERNET, WEB2, 22));
    const nsg = v.decidingRule?.nsg;
    expect(nsg?.name).toBe('nsg-subnet-web');
    expect(v.decidingRule?.aclId).toBe(nsg?.resourceGuid);
  });
});

describe('service tags', () => {
  it('VirtualNetwork includes a peered VNet (peering declared on one side only)', () => {
    expect(evaluate(policy, tcp(B1, WEB2, 22)).recordedRule?.flowLogName).toBe('DefaultRule_AllowVnetInBound');
    expect(evaluate(policy, tcp(B1, WEB2, 22)).sides[0].recordedRule?.flowLogName).toBe('DefaultRule_AllowVnetOutBound');
  });
  it('VirtualNetwork excludes a VNet that is not peered', () => {
    const v = evaluate(policy, tcp('10.3.0.99', WEB2, 22));
    expect(v.decision).toBe('Deny');
    expect(v.recordedRule?.flowLogName).toBe('DefaultRule_DenyAllInBound');
  });
  it('VirtualNetwork includes on-premises prefixes behind the gateway', () => {
    expect(evaluate(policy, tcp('192.168.50.9', WEB2, 22)).recordedRule?.flowLogName).toBe('DefaultRule_AllowVnetInBound');
  });
  it('a regional tag from the Service Tags file matches its prefixes only', () => {
    const inTag = evaluate(policy, tcp(B1, '20.38.117.200', 443));
    expect(inTag.decision).toBe('Allow');
    expect(inTag.recordedRule?.flowLogName).toBe('UserRule_allow-storage-out');
    const outside = evaluate(policy, tcp(B1, '20.38.118.5', 443));
    expect(outside.decision).toBe('Deny');
    expect(outside.recordedRule?.flowLogName).toBe('UserRule_deny-internet-out');
  });
  it('Internet excludes private space and the VNet tag', () => {
    expect(evaluate(policy, tcp(INTERNET, WEB1_PUBLIC, 3389)).chain[0].rule?.flowLogName).toBe('UserRule_allow-rdp-internet');
    expect(evaluate(policy, tcp('10.9.9.9', WEB1, 3389)).chain[0].rule?.flowLogName).toBe('DefaultRule_DenyAllInBound');
  });
});

describe('ASGs, ranges and protocols', () => {
  it('an ASG destination applies only to member NICs', () => {
    const member = evaluate(policy, tcp(INTERNET, WEB1, 443));
    expect(member.decision).toBe('Allow');
    expect(member.chain.find((c) => c.stage === 'subnet-nsg')?.rule?.flowLogName).toBe('UserRule_allow-web');
    const nonMember = evaluate(policy, tcp(INTERNET, WEB2, 443));
    expect(nonMember.decision).toBe('Deny');
    expect(nonMember.recordedRule?.flowLogName).toBe('DefaultRule_DenyAllInBound');
  });
  it('port lists and ranges: inside, on the edges, outside', () => {
    for (const p of [80, 443, 8000, 8050, 8100]) expect(evaluate(policy, tcp(INTERNET, WEB1, p)).decision, `port ${p}`).toBe('Allow');
    for (const p of [79, 81, 7999, 8101]) expect(evaluate(policy, tcp(INTERNET, WEB1, p)).decision, `port ${p}`).toBe('Deny');
    // 8080 is inside the allowed range but the NIC NSG denies it.
    expect(evaluate(policy, tcp(INTERNET, WEB1, 8080)).recordedRule?.flowLogName).toBe('UserRule_deny-8080');
  });
  it('augmented rules: several source prefixes and port ranges', () => {
    const udp = (src: string, port: number): Flow => ({ srcIp: src, dstIp: B1, srcPort: 40000, dstPort: port, protocol: 'udp' });
    expect(evaluate(policy, udp('203.0.113.5', 5005)).recordedRule?.flowLogName).toBe('UserRule_augmented');
    expect(evaluate(policy, udp('198.51.100.7', 53)).recordedRule?.flowLogName).toBe('UserRule_augmented');
    expect(evaluate(policy, udp('203.0.113.20', 53)).decision).toBe('Deny');
    expect(evaluate(policy, udp('203.0.113.5', 5011)).decision).toBe('Deny');
    expect(evaluate(policy, tcp('203.0.113.5', B1, 53)).decision).toBe('Deny');
  });
  it('protocol * matches TCP, UDP, ICMP and ESP; Icmp matches ICMP only', () => {
    for (const protocol of ['tcp', 'udp', 'icmp', 'esp'])
      expect(evaluate(policy, { srcIp: WEB1, dstIp: '203.0.113.9', srcPort: 1, dstPort: 1, protocol }).recordedRule?.flowLogName, protocol).toBe(
        'UserRule_deny-all-to-203',
      );
    expect(evaluate(policy, { srcIp: INTERNET, dstIp: WEB2, protocol: 'icmp' }).recordedRule?.flowLogName).toBe('UserRule_deny-icmp-in');
    expect(evaluate(policy, tcp(INTERNET, WEB2, 22)).recordedRule?.flowLogName).toBe('DefaultRule_DenyAllInBound');
  });
});

describe('NSG order and the logging NSG', () => {
  const names = (v: ReturnType<typeof evaluate>) => v.chain.filter((c) => c.nsg).map((c) => c.nsg);
  it('documented order: inbound subnet then NIC, outbound NIC then subnet', () => {
    expect(names(evaluate(policy, tcp(INTERNET, WEB1, 443)))).toEqual(['nsg-subnet-web', 'nsg-nic-web1']);
    expect(names(evaluate(policy, tcp(WEB1, '8.8.8.8', 443)))).toEqual(['nsg-nic-web1', 'nsg-subnet-web']);
  });
  it('both allow: the last allower is recorded, and it depends on the order', () => {
    const documented = evaluate(policy, tcp(INTERNET, WEB1, 443));
    expect(documented.recordedRule?.flowLogName).toBe('UserRule_allow-web-nic');
    expect(documented.sides[0].nsgFlowLogRule?.nsg?.name).toBe('nsg-nic-web1');
    const nicFirst = evaluate(policy, tcp(INTERNET, WEB1, 443), { nsgOrder: 'nic-first' });
    expect(names(nicFirst)).toEqual(['nsg-nic-web1', 'nsg-subnet-web']);
    expect(nicFirst.recordedRule?.flowLogName).toBe('UserRule_allow-web');
    expect(nicFirst.sides[0].nsgFlowLogRule?.nsg?.name).toBe('nsg-subnet-web');
    const out = evaluate(policy, tcp(WEB1, '8.8.8.8', 443), { nsgOrder: 'subnet-first' });
    expect(names(out)).toEqual(['nsg-subnet-web', 'nsg-nic-web1']);
    expect(out.recordedRule?.nsg?.name).toBe('nsg-nic-web1');
  });
  it('both deny: the first evaluated NSG denies and is the only one consulted', () => {
    const f: Flow = { srcIp: INTERNET, dstIp: WEB1, srcPort: 1, dstPort: 9000, protocol: 'udp' };
    expect(evaluate(policy, f, { nsgOrder: 'subnet-first' }).recordedRule?.nsg?.name).toBe('nsg-subnet-web');
    const nf = evaluate(policy, f, { nsgOrder: 'nic-first' });
    expect(nf.recordedRule?.nsg?.name).toBe('nsg-nic-web1');
    expect(names(nf)).toEqual(['nsg-nic-web1']);
  });
  it('the decision never depends on the order', () => {
    const ips = [INTERNET, WEB1, WEB1_PUBLIC, WEB2, APP1, B1, C1, '8.8.8.8', '203.0.113.5', '192.168.50.9', '20.38.116.9'];
    fc.assert(
      fc.property(fc.constantFrom(...ips), fc.constantFrom(...ips), fc.integer({ min: 0, max: 65535 }), fc.constantFrom('tcp', 'udp', 'icmp'), (s, d, port, protocol) => {
        const f: Flow = { srcIp: s, dstIp: d, srcPort: 50000, dstPort: port, protocol };
        const a = evaluate(policy, f).decision;
        expect(evaluate(policy, f, { nsgOrder: 'subnet-first' }).decision).toBe(a);
        expect(evaluate(policy, f, { nsgOrder: 'nic-first' }).decision).toBe(a);
      }),
      { numRuns: 300 },
    );
  });
  it('random order is deterministic per flow and uses both orders', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 64; k++) {
      const o = chooseNsgOrder('random', 7, k);
      expect(chooseNsgOrder('random', 7, k)).toBe(o);
      seen.add(o);
    }
    expect([...seen].sort()).toEqual(['nic-first', 'subnet-first']);
    expect(chooseNsgOrder('documented', 7, 1)).toBe('documented');
  });
});

describe('stateful return traffic and special paths', () => {
  it('the reply of an allowed outbound connection is allowed; the same packet as a new connection is not', () => {
    const table = createConnectionTable();
    const out = evaluatePacket(policy, table, tcp(WEB2, '8.8.8.8', 443, 50500));
    expect(out.decision).toBe('Allow');
    const reply: Flow = { srcIp: '8.8.8.8', dstIp: WEB2, srcPort: 443, dstPort: 50500, protocol: 'tcp' };
    const r = evaluatePacket(policy, table, reply);
    expect(r.decision).toBe('Allow');
    expect(r.chain[0]).toMatchObject({ stage: 'stateful', result: 'Established' });
    expect(evaluate(policy, reply).decision).toBe('Deny');
    expect(evaluatePacket(policy, createConnectionTable(), reply).decision).toBe('Deny');
    // A different source port is a different connection.
    expect(evaluatePacket(policy, table, { ...reply, dstPort: 50501 }).decision).toBe('Deny');
  });
  it('a denied connection leaves no state behind', () => {
    const table = createConnectionTable();
    expect(evaluatePacket(policy, table, tcp(INTERNET, WEB2, 22, 40000)).decision).toBe('Deny');
    expect(evaluatePacket(policy, table, { srcIp: WEB2, dstIp: INTERNET, srcPort: 22, dstPort: 40000, protocol: 'tcp' }).decision).toBe('Allow');
    expect(table.allowed.size).toBe(1); // only the (new, outbound) reply attempt was allowed as its own connection
  });
  it('denied at the source: the destination is never evaluated', () => {
    const v = evaluate(policy, tcp(WEB1, B1, 25));
    expect(v.decision).toBe('Deny');
    expect(v.sides).toHaveLength(1);
    expect(v.chain[v.chain.length - 1].stage).toBe('not-evaluated');
  });
  it('public IP destinations are matched as the NIC private IP, also when the caller names the NIC', () => {
    const v = evaluate(policy, tcp(INTERNET, WEB1_PUBLIC, 443));
    expect(v.translatedDstIp).toBe(WEB1);
    expect(v.sides[0].nic).toBe('web1-nic');
    const hinted = evaluate(policy, { ...tcp(INTERNET, WEB1_PUBLIC, 443), dstNic: 0 });
    expect(hinted.translatedDstIp).toBe(WEB1);
    expect(hinted.recordedRule).toBe(v.recordedRule);
  });
  it('platform addresses bypass NSGs outbound; private endpoints are evaluated at the source only', () => {
    const dns = evaluate(policy, { srcIp: WEB1, dstIp: '168.63.129.16', srcPort: 5000, dstPort: 53, protocol: 'udp' });
    expect(dns.decision).toBe('Allow');
    expect(dns.chain.map((c) => c.stage)).toEqual(['platform']);
    const strict = compilePolicy(lab.scenario, { serviceTags: lab.serviceTags, platformBypass: false });
    expect(evaluate(strict, { srcIp: WEB1, dstIp: '168.63.129.16', srcPort: 5000, dstPort: 53, protocol: 'udp' }).chain[0].stage).not.toBe('platform');
    const pe = evaluate(policy, tcp(WEB2, '10.1.9.4', 443));
    expect(pe.sides.map((s) => s.side)).toEqual(['source']);
    expect(pe.recordedRule?.flowLogName).toBe('DefaultRule_AllowVnetOutBound');
  });
});

function key(r: RuleRef | null | undefined): string | null {
  if (!r) return null;
  if (r.admin) return `${r.admin.networkManager}/${r.admin.configuration}/${r.admin.ruleCollection}/${r.name}`;
  return `${r.nsg!.name}/${r.name}`;
}

describe('compiled engine agrees with the naive evaluator', () => {
  it('on the lab scenario (property test)', () => {
    const ips = [INTERNET, WEB1, WEB1_PUBLIC, WEB2, APP1, B1, C1, '8.8.8.8', '203.0.113.5', '198.51.100.7', '192.168.50.9', '20.38.116.9', '10.1.9.4', '168.63.129.16'];
    const fast = newFastVerdict();
    fc.assert(
      fc.property(
        fc.constantFrom(...ips),
        fc.constantFrom(...ips),
        fc.oneof(fc.constantFrom(22, 25, 53, 80, 443, 3389, 5005, 8000, 8080, 8100, 9000), fc.integer({ min: 0, max: 65535 })),
        fc.constantFrom(6, 17, 1, 50),
        fc.constantFrom('documented' as const, 'subnet-first' as const, 'nic-first' as const),
        (s, d, port, protocol, order) => {
          const n = naiveEvaluate(lab.scenario, lab.serviceTags, { srcIp: s, dstIp: d, srcPort: 50000, dstPort: port, protocol }, order);
          evaluateFast(policy, parseIpv4(s), parseIpv4(d), 50000, port, protocol, order, fast);
          expect(fast.allowed).toBe(n.allowed);
          expect(fast.deniedAt).toBe(n.deniedAt);
          expect(key(policy.rules[fast.srcRecorded])).toBe(n.srcRecorded);
          expect(key(policy.rules[fast.dstRecorded])).toBe(n.dstRecorded);
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('on a synthetic network with many random rules, tags, ASGs and admin rules', () => {
    const s = syntheticPolicyScenario({ seed: 11, vnets: 4, subnetsPerVnet: 3, nicsPerSubnet: 3, rulesPerNsg: 40, adminRules: 12 });
    const p = compilePolicy(s);
    const flows = randomFlows(s, 3000, 5);
    const fast = newFastVerdict();
    let allowed = 0;
    for (let i = 0; i < flows.count; i++) {
      const order = (['documented', 'subnet-first', 'nic-first'] as const)[i % 3];
      const f = { srcIp: formatIpv4(flows.srcIp[i]), dstIp: formatIpv4(flows.dstIp[i]), srcPort: flows.srcPort[i], dstPort: flows.dstPort[i], protocol: flows.protocol[i] };
      const n = naiveEvaluate(s, new Map(), f, order);
      evaluateFast(p, flows.srcIp[i], flows.dstIp[i], flows.srcPort[i], flows.dstPort[i], flows.protocol[i], order, fast);
      expect({ i, allowed: fast.allowed, src: key(p.rules[fast.srcRecorded]), dst: key(p.rules[fast.dstRecorded]) }).toEqual({
        i,
        allowed: n.allowed,
        src: n.srcRecorded,
        dst: n.dstRecorded,
      });
      if (fast.allowed) allowed++;
    }
    // The mix must exercise both outcomes.
    expect(allowed).toBeGreaterThan(100);
    expect(allowed).toBeLessThan(2900);
  });
});

describe('effective rules', () => {
  it('expands tags, ASGs and ranges to what the engine matches, in evaluation order', async () => {
    const { effectiveRules, rangeToCidrs } = await import('../../src/policy/index.js');
    expect(rangeToCidrs(parseIpv4('10.0.0.0'), parseIpv4('10.0.1.255'))).toEqual(['10.0.0.0/23']);
    expect(rangeToCidrs(parseIpv4('10.0.0.1'), parseIpv4('10.0.0.6'))).toEqual(['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
    const web1 = lab.scenario.nics.findIndex((n) => n.name === 'web1-nic');
    const e = effectiveRules(policy, web1);
    expect(e.inbound.map((p) => p.nsg)).toEqual(['nsg-subnet-web', 'nsg-nic-web1']);
    const subnet = e.inbound[0].rules;
    expect(subnet.map((r) => r.rule.priority)).toEqual([100, 110, 120, 65000, 65001, 65500]);
    const allowWeb = subnet.find((r) => r.rule.name === 'allow-web')!;
    expect(allowWeb.destinationPrefixes).toEqual(['10.1.1.4/32']); // asg-web has one member
    expect(allowWeb.destinationPorts).toEqual(['80', '443', '8000-8100']);
    expect(allowWeb.protocols).toEqual(['Tcp']);
    const vnetIn = subnet.find((r) => r.rule.name === 'AllowVnetInBound')!;
    // own space, the peered vnet-b, and the on-premises branch behind vnet-a's gateway
    expect(vnetIn.sourcePrefixes).toEqual(['10.1.0.0/16', '10.2.0.0/16', '192.168.50.0/24']);
    expect(e.outbound.map((p) => p.nsg)).toEqual(['nsg-nic-web1', 'nsg-subnet-web']);
  });
});

describe('Azure host address', () => {
  it('is not part of Internet: a deny-from-Internet rule does not block health probes', async () => {
    const { validateScenario } = await import('../../src/model/index.js');
    const { scenario } = validateScenario({
      defaults: { resourceGroup: 'rg', location: 'westeurope' },
      subscriptions: [{ id: '0a0b0c0d-0000-4000-8000-000000000009' }],
      vnets: [{ name: 'v', addressSpace: ['10.5.0.0/16'], subnets: [{ name: 's', addressPrefix: '10.5.0.0/24', nsg: 'n' }] }],
      nsgs: [{ name: 'n', securityRules: [{ name: 'deny-internet', priority: 100, direction: 'Inbound', access: 'Deny', protocol: '*', sourceAddressPrefix: 'Internet', destinationAddressPrefix: '*' }] }],
      nics: [{ name: 'nic', vnet: 'v', subnet: 's', privateIps: ['10.5.0.4'] }],
    });
    const p = compilePolicy(scenario);
    expect(evaluate(p, tcp('168.63.129.16', '10.5.0.4', 80)).recordedRule?.flowLogName).toBe('DefaultRule_AllowAzureLoadBalancerInBound');
    expect(evaluate(p, tcp('52.1.2.3', '10.5.0.4', 80)).recordedRule?.flowLogName).toBe('UserRule_deny-internet');
  });
});
