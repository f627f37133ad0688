import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bundledGeoIndex,
  createAnalyticsContext,
  createStaticTopology,
  EnrichmentFileError,
  loadAnalyticsContext,
  loadGeoCsv,
  loadServiceTags,
  loadThreatList,
  parseIp,
  type StaticTopology,
} from '../../src/analytics/index.js';
import { harness, v4, type Harness } from './helpers.js';

const data = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const SUB = '11111111-2222-3333-4444-555555555555';
const vnet = (name: string, prefix: string) => ({
  name,
  resourceGroup: 'rg-net',
  subscription: SUB,
  region: 'westeurope',
  addressSpace: [`${prefix}.0.0/16`],
  subnets: [{ name: 'workload', prefixes: [`${prefix}.0.0/24`] }],
});
const topology: StaticTopology = {
  vnets: [vnet('hub', '10.0'), vnet('spoke1', '10.1'), vnet('spoke2', '10.2'), vnet('isolated', '10.9')],
  nics: [{ name: 'app-nic', resourceGroup: 'rg-app', vm: 'app-vm', vnet: 'hub', subnet: 'workload', ips: ['10.0.0.4'] }],
  peerings: [
    { a: 'hub', b: 'spoke1' },
    { a: 'hub', b: 'spoke2' },
    { a: 'spoke1', b: 'spoke2', connectingVnets: 'hub' },
  ],
  sites: [{ prefixes: ['192.168.10.0/24'], flowType: 'S2S', connectionType: 'VpnGateway', connectionName: `${SUB}/rg-net/to-branch` }],
  p2sPools: [{ gateway: 'hub-gw', prefixes: ['172.16.200.0/24'] }],
  acls: [{ aclId: 'AAAAAAAA-0000-0000-0000-000000000001', group: `${SUB}/rg-net/hub-nsg` }],
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('flow types from a crafted topology (spec §7.2)', () => {
  it('classifies each flow type and fills connection, region, country and threat columns', async () => {
    const ctx = createAnalyticsContext({
      topology: createStaticTopology(topology),
      serviceTags: loadServiceTags(data('service-tags.json')),
      threats: loadThreatList(data('threats.csv')),
      geo: loadGeoCsv(data('geo.csv')),
    });
    h = await harness(ctx);
    const t = Date.UTC(2026, 3, 1, 8, 0, 0);
    const pairs: Array<[string, string]> = [
      ['10.0.0.4', '10.0.0.5'], // IntraVNet
      ['10.1.0.4', '10.0.0.4'], // InterVNet (peering)
      ['10.1.0.9', '10.2.0.9'], // InterVNet through the hub
      ['10.0.0.4', '192.168.10.5'], // S2S
      ['172.16.200.9', '10.0.0.4'], // P2S
      ['10.0.0.4', '20.60.1.2'], // AzurePublic (Storage.WestEurope)
      ['10.0.0.4', '168.63.129.16'], // AzurePublic (Azure host)
      ['10.0.0.4', '203.0.113.17'], // ExternalPublic
      ['198.51.100.7', '10.0.0.4'], // MaliciousFlow
      ['10.0.0.4', '192.168.99.1'], // Unknown Private
      ['8.8.8.8', '1.1.1.1'], // Unknown
      ['10.0.0.4', '169.254.169.254'], // AzurePublic (instance metadata service)
    ];
    await h.ingest(
      pairs.map(([s, d], i) => v4(`${t + i},${s},${d},${40000 + i},443,6,O,B,NX,,,,`, { acl_id: 'aaaaaaaa-0000-0000-0000-000000000001' })),
    );
    const rows = await h.rows(
      `SELECT FlowType, SrcIp, DestIp, SrcPublicIps, DestPublicIps, ConnectionType, ConnectionName, ConnectingVnets, AzureRegion, Country,
        DestServiceTags, SrcVm, SrcSubnet, DestSubnet, AclGroup FROM NTANetAnalytics ORDER BY SrcPorts`,
    );
    const expected = [
      ['IntraVNet', '10.0.0.4', '10.0.0.5', '', '', '', '', '', '', '', ''],
      ['InterVNet', '10.1.0.4', '10.0.0.4', '', '', 'VNetPeering', '', '', '', '', ''],
      ['InterVNet', '10.1.0.9', '10.2.0.9', '', '', 'VNetPeering', '', 'hub', '', '', ''],
      ['S2S', '10.0.0.4', '192.168.10.5', '', '', 'VpnGateway', `${SUB}/rg-net/to-branch`, '', '', '', ''],
      ['P2S', '172.16.200.9', '10.0.0.4', '', '', 'VpnGateway', 'hub-gw_172.16.200.9', '', '', '', ''],
      ['AzurePublic', '10.0.0.4', '', '', '20.60.1.2|1|0|0|0|0|0', '', '', '', 'westeurope', '', 'Storage.WestEurope'],
      // the Azure host and the metadata service share FlowType and AzureRegion: one row, two entries
      ['AzurePublic', '10.0.0.4', '', '', '168.63.129.16|1|0|0|0|0|0 169.254.169.254|1|0|0|0|0|0', '', '', '', 'Global', '', ''],
      ['ExternalPublic', '10.0.0.4', '', '', '203.0.113.17|1|0|0|0|0|0', '', '', '', '', 'JP', ''],
      ['MaliciousFlow', '', '10.0.0.4', '198.51.100.7|1|0|0|0|0|0', '', '', '', '', '', 'US', ''],
      ['Unknown Private', '10.0.0.4', '192.168.99.1', '', '', '', '', '', '', '', ''],
      ['Unknown', '8.8.8.8', '1.1.1.1', '', '', '', '', '', '', '', ''],
    ];
    expect(rows.map((r) => Object.values(r).slice(0, 11))).toEqual(expected);
    // topology columns and the NSG resolved from the aclID
    expect(rows[0]).toMatchObject({ SrcVm: 'rg-app/app-vm', SrcSubnet: 'rg-net/hub/workload', DestSubnet: 'rg-net/hub/workload', AclGroup: `${SUB}/rg-net/hub-nsg` });
    expect(rows[1]).toMatchObject({ SrcVm: '', SrcSubnet: 'rg-net/spoke1/workload' });

    const ips = await h.rows('SELECT Ip, FlowType, Location, PublicIpDetails, ThreatType, ThreatDescription FROM NTAIpDetails ORDER BY Ip');
    expect(ips).toEqual([
      { Ip: '168.63.129.16', FlowType: 'AzurePublic', Location: 'Global', PublicIpDetails: 'Microsoft Virtual Public IP', ThreatType: '', ThreatDescription: '' },
      { Ip: '169.254.169.254', FlowType: 'AzurePublic', Location: 'Global', PublicIpDetails: 'Azure Instance Metadata Service', ThreatType: '', ThreatDescription: '' },
      { Ip: '198.51.100.7', FlowType: 'MaliciousFlow', Location: 'US', PublicIpDetails: '', ThreatType: 'Botnet', ThreatDescription: 'test botnet, C&C reachable' },
      { Ip: '20.60.1.2', FlowType: 'AzurePublic', Location: 'westeurope', PublicIpDetails: 'AzureStorage', ThreatType: '', ThreatDescription: '' },
      { Ip: '203.0.113.17', FlowType: 'ExternalPublic', Location: 'JP', PublicIpDetails: '', ThreatType: '', ThreatDescription: '' },
    ]);
  });

  it('folds several public IPs of one country into one row; malicious precedence is an option', async () => {
    const sources = {
      topology: createStaticTopology(topology),
      serviceTags: loadServiceTags(data('service-tags.json')),
      threats: loadThreatList(data('threats.csv')),
      geo: loadGeoCsv(data('geo.csv')),
    };
    h = await harness(createAnalyticsContext(sources));
    const t = Date.UTC(2026, 3, 1, 8, 0, 0);
    await h.ingest([
      v4(`${t},10.0.0.4,203.0.113.9,1000,443,6,O,E,NX,1,10,2,20`),
      v4(`${t + 1},10.0.0.4,203.0.113.17,1001,443,6,O,E,NX,3,30,4,40`),
      v4(`${t + 2},10.0.0.4,203.0.113.17,1002,443,6,O,B,NX,,,,`),
    ]);
    expect(await h.rows('SELECT DestPublicIps, Country, CompletedFlows, BytesDestToSrc FROM NTANetAnalytics')).toEqual([
      { DestPublicIps: '203.0.113.17|1|1|3|4|30|40 203.0.113.9|0|1|1|2|10|20', Country: 'JP', CompletedFlows: 2, BytesDestToSrc: 60 },
    ]);
    // an Azure address on the threat list: MaliciousFlow by default, AzurePublic when the option says so
    const threatInAzure = (await import('../../src/analytics/index.js')).parseThreatList('20.60.5.5,C2,test', 'inline.csv');
    const first = createAnalyticsContext({ ...sources, threats: threatInAzure });
    const second = createAnalyticsContext({ ...sources, threats: threatInAzure }, { maliciousBeforeAzurePublic: false });
    const ip = parseIp('20.60.5.5')!;
    expect(ip.v).toBe(4);
    const { describeIp } = await import('../../src/analytics/index.js');
    expect(describeIp('20.60.5.5', first, first.options).publicType).toBe('MaliciousFlow');
    expect(describeIp('20.60.5.5', second, second.options).publicType).toBe('AzurePublic');
  });
});

describe('enrichment files', () => {
  it('loads Service Tags in Microsoft’s format with the most specific tag winning', () => {
    const tags = loadServiceTags(data('service-tags.json'));
    expect(tags.tagCount).toBe(3);
    expect(tags.lookup(parseIp('20.60.9.9')!)).toEqual({ tag: 'Storage.WestEurope', region: 'westeurope', systemService: 'AzureStorage' });
    expect(tags.lookup(parseIp('20.61.9.9')!)?.tag).toBe('AzureCloud.westeurope');
    expect(tags.lookup(parseIp('20.1.2.3')!)?.tag).toBe('AzureCloud');
    expect(tags.lookup(parseIp('2603:1000::1')!)?.tag).toBe('AzureCloud');
    expect(tags.lookup(parseIp('21.0.0.1')!)).toBeUndefined();
  });

  it('reports bad Service Tags files with file, line and JSON path', () => {
    expect(() => loadServiceTags(data('bad-tags-json.json'))).toThrow(EnrichmentFileError);
    expect(() => loadServiceTags(data('bad-tags-json.json'))).toThrow(/bad-tags-json\.json:3:\d+: Service Tags file is not valid JSON/);
    let err: EnrichmentFileError | undefined;
    try {
      loadServiceTags(data('bad-tags-prefix.json'));
    } catch (e) {
      err = e as EnrichmentFileError;
    }
    expect(err?.location).toMatchObject({ line: 7, path: 'values[1].properties.addressPrefixes[1]' });
    expect(err?.message).toMatch(/bad-tags-prefix\.json:7:\d+ values\[1\]\.properties\.addressPrefixes\[1\]: not an IP prefix: "20\.600\.0\.0\/16"/);
    expect(() => loadServiceTags(data('does-not-exist.json'))).toThrow(/does-not-exist\.json: cannot read/);
  });

  it('loads a threat list CSV and reports bad rows by line and column', () => {
    const threats = loadThreatList(data('threats.csv'));
    expect(threats.size).toBe(2);
    expect(threats.lookup(parseIp('198.51.100.200')!)).toEqual({ threatType: 'Botnet', description: 'test botnet, C&C reachable' });
    expect(threats.lookup(parseIp('192.0.2.66')!)?.threatType).toBe('Phishing');
    expect(threats.lookup(parseIp('192.0.2.67')!)).toBeUndefined();
    expect(() => loadThreatList(data('bad-threats.csv'))).toThrow(/bad-threats\.csv:3:1: not an IP address or CIDR: "198\.51\.100\.300"/);
  });

  it('loads geolocation CSVs, and the bundled database answers for a well-known range', () => {
    expect(loadGeoCsv(data('geo.csv')).country(parseIp('203.0.113.1')!)).toBe('JP');
    expect(loadGeoCsv(data('geo.csv')).country(parseIp('203.0.114.1')!)).toBe('');
    expect(() => loadGeoCsv(data('bad-geo.csv'))).toThrow(/bad-geo\.csv:2:\d+: not an ISO 3166-1 alpha-2 country code: "China"/);
    const bundled = bundledGeoIndex();
    expect(bundled.ranges).toBeGreaterThan(100_000);
    // first rows of the bundled CC0 data set: 1.0.0.0/24 is registered in AU, 1.0.1.0–1.0.3.255 in CN
    expect(bundled.country(parseIp('1.0.0.1')!)).toBe('AU');
    expect(bundled.country(parseIp('1.0.2.1')!)).toBe('CN');
  });

  it('loadAnalyticsContext wires files named in options and fails loudly on a bad one', () => {
    const ctx = loadAnalyticsContext({ serviceTags: data('service-tags.json'), threats: data('threats.csv'), geo: data('geo.csv') });
    expect(ctx.serviceTags?.tagCount).toBe(3);
    expect(() => loadAnalyticsContext({ threats: data('bad-threats.csv'), geo: 'none' })).toThrow(/bad-threats\.csv:3:1/);
  });
});

describe('geolocation with nested ranges', () => {
  it('returns the most specific of nested ranges, as in the bundled data set', async () => {
    const { parseGeoCsv } = await import('../../src/analytics/index.js');
    const geo = parseGeoCsv('37405696,37406207,DE\n37405967,37405967,BE\n37405968,37406207,DE\n37406208,37406719,FR\n', 'nested.csv');
    expect(geo.country({ v: 4, n: 37405967 })).toBe('BE');
    expect(geo.country({ v: 4, n: 37405966 })).toBe('DE');
    expect(geo.country({ v: 4, n: 37406300 })).toBe('FR');
    expect(geo.country({ v: 4, n: 37406720 })).toBe('');
  });
});
