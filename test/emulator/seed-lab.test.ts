/**
 * Acceptance: the seed lab reproduces every row of the 2023 article's tables under `preview-2023`,
 * and under `ga` differs exactly where the profile table says. Everything is read back from the
 * emitted blobs with the format library's decoder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nicId, stableMac } from '../../src/model/index.js';
import { PROFILES, profileDifferences } from '../../src/emulator/index.js';
import { decodeAll, NSG, readBlobs, runToFolder, seedLab, VNET, type Row } from './support.js';

const START = '2024-03-01T00:00:00Z';
const CASE_IP = (k: number) => `10.0.1.${10 + k}`;
const ZERO = '00000000-0000-0000-0000-000000000000';
const inNoise = (ip: string) => ip.startsWith('20.38.98.') || ip.startsWith('52.239.184.');

let preview: Row[];
let ga: Row[];
let previewTuples = 0;

beforeAll(async () => {
  const scenario = seedLab();
  const a = await runToFolder(scenario, { profile: 'preview-2023', start: START, duration: '20m' });
  const b = await runToFolder(scenario, { profile: 'ga', start: START, duration: '20m' });
  preview = decodeAll(readBlobs(a.dir));
  ga = decodeAll(readBlobs(b.dir));
  previewTuples = a.summary.tuples;
});

const vnetRows = (rows: Row[]) => rows.filter((r) => r.container === VNET);
const nsgRows = (rows: Row[]) => rows.filter((r) => r.container === NSG);

describe('seed lab under preview-2023: the article tables', () => {
  it('decodes as many tuples as the emulator reports', () => {
    expect(preview.length).toBe(previewTuples);
    expect(preview.length).toBeGreaterThan(1000);
  });

  const avnm = (k: number) => vnetRows(preview).filter((r) => r.dst_ip === CASE_IP(k) && r.dst_port === 3389 && r.direction === 'I');

  it.each([
    [1, /^case1-always-allow-rdp_[0-9a-f-]{36}$/, 'allowed'],
    [2, /^case2-always-allow-rdp_[0-9a-f-]{36}$/, 'allowed'],
    [3, /^case3-deny-rdp_[0-9a-f-]{36}$/, 'denied'],
    [4, /^case4-deny-rdp_[0-9a-f-]{36}$/, 'denied'],
    [5, /^UserRule_allow-rdp$/, 'allowed'],
    [6, /^UserRule_deny-rdp$/, 'denied'],
  ] as const)('AVNM × NSG case %i records rule %s as %s', (k, rule, outcome) => {
    const rows = avnm(k);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.rule).toMatch(rule);
    const states = new Set(rows.map((r) => r.state));
    if (outcome === 'allowed') {
      expect(states.has('B')).toBe(true);
      expect(states.has('E')).toBe(true);
      expect(states.has('D')).toBe(false);
    } else expect([...states]).toEqual(['D']);
    // Cases 5 and 6: nothing about the AVNM Allow rule is recorded.
    if (k >= 5) expect(vnetRows(preview).some((r) => r.rule.startsWith(`case${k}-`))).toBe(false);
  });

  it('records no ICMP in either log type (the ping target shows only encryption noise)', () => {
    expect(preview.some((r) => r.protocol === 1)).toBe(false);
    const atTarget = preview.filter((r) => r.src_ip === '10.0.4.20' || r.dst_ip === '10.0.4.20');
    expect(atTarget.length).toBeGreaterThan(0);
    expect(atTarget.every((r) => inNoise(r.src_ip))).toBe(true);
    expect(preview.some((r) => r.src_ip === '10.0.4.10' && r.dst_ip === '10.0.4.20')).toBe(false);
    const pingMac = stableMac(nicId(seedLab().nics.find((n) => n.name === 'vm-pingtarget-nic')!));
    expect(preview.filter((r) => r.mac === pingMac).every((r) => inNoise(r.src_ip))).toBe(true);
  });

  it('records no private-endpoint traffic', () => {
    expect(preview.some((r) => r.dst_ip === '10.0.3.4' || r.src_ip === '10.0.3.4')).toBe(false);
  });

  it('records peered traffic with a VNet flow log on one side only', () => {
    const inbound = vnetRows(preview).filter((r) => r.src_ip === '10.1.0.4' && r.dst_ip === '10.0.2.10' && r.direction === 'I');
    const outbound = vnetRows(preview).filter((r) => r.dst_ip === '10.1.0.4' && r.direction === 'O' && r.protocol === 17);
    expect(inbound.length).toBeGreaterThan(0);
    expect(outbound.length).toBeGreaterThan(0);
    const peerMac = stableMac(nicId(seedLab().nics.find((n) => n.name === 'vm-peer1-nic')!));
    expect(preview.some((r) => r.mac === peerMac)).toBe(false);
  });

  it('misses flows in the NSG flow log when the NSG without one (the NIC NSG) decides last', () => {
    const b = (rows: Row[]) => rows.filter((r) => r.dst_ip === '10.0.2.10' && r.dst_port === 80 && r.state === 'B' && r.direction === 'I');
    const inVnet = b(vnetRows(preview));
    const inNsg = b(nsgRows(preview));
    expect(inVnet.length).toBe(100); // 10 per minute for 10 minutes
    expect(inNsg.length).toBeGreaterThan(0);
    expect(inNsg.length).toBeLessThan(inVnet.length);
    for (const r of inNsg) expect(r.path).toContain('/NETWORKSECURITYGROUPS/NSG-SUBNET/');
  });

  it('keeps AVNM decisions out of NSG flow logs; NSG-decided cases 5 and 6 are there', () => {
    const atCase = (k: number) => nsgRows(preview).filter((r) => r.dst_ip === CASE_IP(k) && r.direction === 'I');
    for (const k of [1, 2, 3, 4]) expect(atCase(k)).toEqual([]);
    expect(atCase(5).length).toBeGreaterThan(0);
    expect(new Set(atCase(5).map((r) => `${r.rule}|${r.decision}`))).toEqual(new Set(['UserRule_allow-rdp|A']));
    expect(atCase(6).length).toBeGreaterThan(0);
    expect(new Set(atCase(6).map((r) => `${r.rule}|${r.decision}|${r.state}`))).toEqual(new Set(['UserRule_deny-rdp|D|B']));
  });

  it('records encryption drops in VNet flow logs only, under the all-zero aclID and rule Unspecified', () => {
    const drops = vnetRows(preview).filter((r) => inNoise(r.src_ip));
    expect(drops.length).toBeGreaterThan(0);
    for (const r of drops) {
      expect(r.acl_id).toBe(ZERO);
      expect(r.rule).toBe('Unspecified');
      expect(r.state).toBe('D');
      expect(r.encryption).toMatch(/^NX_/);
    }
    expect(nsgRows(preview).some((r) => inNoise(r.src_ip))).toBe(false);
  });
});

describe('seed lab under ga: exactly the profile table differences', () => {
  it('the profile table lists the expected switches', () => {
    expect(profileDifferences(PROFILES['preview-2023'], PROFILES.ga).sort()).toEqual(
      [
        'defaultStart',
        'encryptionDropAclId',
        'encryptionDropRule',
        'nsgFlowLogCreationCutoff',
        'nsgFlowLogRetirement',
        'privateEndpointInNsgFlowLogs',
        'privateEndpointInVnetFlowLogs',
      ].sort(),
    );
  });

  it('records private-endpoint traffic at the source VM in both log types', () => {
    const pe = ga.filter((r) => r.dst_ip === '10.0.3.4');
    expect(pe.filter((r) => r.container === VNET && r.direction === 'O' && r.src_ip === '10.0.4.10').length).toBeGreaterThan(0);
    expect(pe.filter((r) => r.container === NSG && r.path.includes('/NSG-CLIENT/')).length).toBeGreaterThan(0);
    expect(pe.every((r) => r.src_ip === '10.0.4.10' && r.direction === 'O')).toBe(true);
  });

  it('records encryption drops under unspecified/unspecified', () => {
    const drops = vnetRows(ga).filter((r) => inNoise(r.src_ip));
    expect(drops.length).toBeGreaterThan(0);
    for (const r of drops) {
      expect(r.acl_id).toBe('unspecified');
      expect(r.rule).toBe('unspecified');
    }
  });

  it('is otherwise tuple-for-tuple identical to preview-2023', () => {
    const key = (r: Row) =>
      [r.container, r.mac, r.acl_id === 'unspecified' ? ZERO : r.acl_id, r.rule === 'unspecified' ? 'Unspecified' : r.rule, r.time_ms, r.src_ip, r.dst_ip, r.src_port, r.dst_port, r.protocol, r.direction, r.state, r.decision, r.encryption, r.packets_s2d, r.bytes_s2d, r.packets_d2s, r.bytes_d2s].join('|');
    const a = preview.map(key).sort();
    const b = ga.filter((r) => r.dst_ip !== '10.0.3.4').map(key).sort();
    expect(b).toEqual(a);
  });
});
