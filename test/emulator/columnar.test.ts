/**
 * The columnar hot path judges a prefix once when the rules treat it as one block, and every
 * drawn address when they do not. Checked on the decoded blobs against the rule, not against the
 * engine's state.
 */
import { describe, expect, it } from 'vitest';
import { prepareEmulation, syntheticScenario } from '../../src/emulator/index.js';
import { parseIpv4, type Scenario } from '../../src/model/index.js';
import { decodeAll, readBlobs, runToFolder, VNET } from './support.js';

/** The synthetic network with web traffic from 198.51.100.0/24 and 203.0.113.0/24, where only 198.51.100.0/25 may reach port 443. */
function splitPrefixScenario(): Scenario {
  const s = syntheticScenario(4, 1);
  return {
    ...s,
    nsgs: s.nsgs.map((n) =>
      n.name.startsWith('nsg-web-')
        ? { ...n, securityRules: n.securityRules.map((r) => ({ ...r, sourceAddressPrefix: '198.51.100.0/25', sourceAddressPrefixes: undefined })) }
        : n,
    ),
    generators: {
      ...s.generators,
      internetScanners: { ...s.generators.internetScanners!, enabled: false },
      internetWeb: { ...s.generators.internetWeb!, perMinute: 30, sourcePrefixes: ['198.51.100.0/24', '203.0.113.0/24'] },
    },
  };
}

describe('judging drawn addresses', () => {
  it('uniformRange: false across a rule boundary or a NIC address, true inside one block', () => {
    const p = prepareEmulation(splitPrefixScenario(), { profile: 'ga', duration: '1m' });
    const uniform = p.judge.uniformRange!;
    expect(uniform(parseIpv4('198.51.100.1'), parseIpv4('198.51.100.254'))).toBe(false);
    expect(uniform(parseIpv4('198.51.100.1'), parseIpv4('198.51.100.126'))).toBe(true);
    expect(uniform(parseIpv4('203.0.113.1'), parseIpv4('203.0.113.254'))).toBe(true);
    const nicPublic = p.network.nics.find((n) => n.publicIp)!.publicIp!;
    const n = parseIpv4(nicPublic);
    expect(uniform(n - 1, n + 1)).toBe(false);
  });

  it('portClass: ports no rule tells apart share a class, rule edges split classes', () => {
    const p = prepareEmulation(splitPrefixScenario(), { profile: 'ga', duration: '1m' });
    const cls = p.judge.portClass!;
    expect(cls(22)).toBe(cls(23));
    expect(cls(1000)).toBe(cls(3389));
    expect(cls(443)).not.toBe(cls(444));
    expect(cls(442)).not.toBe(cls(443));
    expect(cls(80)).not.toBe(cls(443));
  });

  it('a prefix split by a rule is judged per address; a uniform one gets one verdict', async () => {
    const { dir } = await runToFolder(splitPrefixScenario(), { profile: 'ga', duration: '6m', start: '2025-01-06T00:00:00Z' });
    const rows = decodeAll(readBlobs(dir)).filter((r) => r.container === VNET && r.direction === 'I' && r.dst_port === 443);
    const low = rows.filter((r) => r.src_ip.startsWith('198.51.100.') && Number(r.src_ip.split('.')[3]) < 128);
    const high = rows.filter((r) => r.src_ip.startsWith('198.51.100.') && Number(r.src_ip.split('.')[3]) >= 128);
    const other = rows.filter((r) => r.src_ip.startsWith('203.0.113.'));
    expect(low.length).toBeGreaterThan(10);
    expect(high.length).toBeGreaterThan(10);
    expect(other.length).toBeGreaterThan(10);
    expect(low.every((r) => r.state !== 'D' && r.rule === 'UserRule_allow-https-in')).toBe(true);
    expect(high.every((r) => r.state === 'D' && r.rule === 'DefaultRule_DenyAllInBound')).toBe(true);
    expect(other.every((r) => r.state === 'D' && r.rule === 'DefaultRule_DenyAllInBound')).toBe(true);
    // Drawn addresses really vary (not one cached address reused).
    expect(new Set(low.map((r) => r.src_ip)).size).toBeGreaterThan(5);
  });
});
