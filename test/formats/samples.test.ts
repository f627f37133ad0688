/**
 * Every JSON sample of azure-flowlogs-spec.md §1.9 and §2.5 (copied verbatim into testdata/)
 * decodes to the values the sample shows.
 */
import { describe, expect, it } from 'vitest';
import { FlowLogFormatError } from '../../src/errors.js';
import { decodeBuffer, decodeNsg, decodeVnetV4, splitRuleName, type FlowRow } from '../../src/formats/index.js';
import { allRows, sample, thrown } from './helpers.js';

function rows(name: string, lenient = false): { rows: FlowRow[]; stats: ReturnType<typeof decodeBuffer>['stats'] } {
  const { batches, stats } = decodeBuffer(sample(name), { source: name, lenient });
  return { rows: allRows(batches), stats };
}

describe('§1.9.1 VNet overview sample', () => {
  const name = 'vnet-1.9.1-overview.json';
  const { rows: r, stats } = rows(name);

  it('decodes all 19 tuples of the one record with record fields on every row', () => {
    expect(stats.records).toBe(1);
    expect(stats.tuples).toBe(19);
    expect(r).toHaveLength(19);
    for (const row of r) {
      expect(row.version).toBe(4);
      expect(row.record_time).toBe('2022-09-14T09:00:52.5625085Z');
      expect(row.mac).toBe('00224871C205');
      expect(row.flow_log_id).toBe(
        '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS2EUAP/FLOWLOGS/VNETFLOWLOG',
      );
      expect(row.target_resource_id).toBe(
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/Microsoft.Network/virtualNetworks/myVNet',
      );
      expect(row.blob).toBe(name);
      expect(row.block).toBeNull();
    }
  });

  it('reads the first tuple field by field (13-digit ms timestamp, B with 0 counters)', () => {
    expect(r[0]).toEqual({
      time_ms: 1663146003599,
      record_time: '2022-09-14T09:00:52.5625085Z',
      version: 4,
      mac: '00224871C205',
      flow_log_id: r[0].flow_log_id,
      target_resource_id: r[0].target_resource_id,
      acl_id: '00000000-1234-abcd-ef00-c1c2c3c4c5c6',
      rule: 'DefaultRule_AllowInternetOutBound',
      src_ip: '10.0.0.6',
      dst_ip: '52.239.184.180',
      src_port: 23956,
      dst_port: 443,
      protocol: 6,
      direction: 'O',
      state: 'B',
      decision: 'A',
      encryption: 'NX',
      packets_s2d: 0,
      bytes_s2d: 0,
      packets_d2s: 0,
      bytes_d2s: 0,
      blob: name,
      block: null,
    } satisfies FlowRow);
  });

  it('reads E counters and the last allow tuple', () => {
    expect(r[1]).toMatchObject({ state: 'E', packets_s2d: 3, bytes_s2d: 767, packets_d2s: 2, bytes_d2s: 1580 });
    expect(r[9]).toMatchObject({
      time_ms: 1663146022793,
      dst_ip: '104.16.218.84',
      src_port: 36776,
      state: 'E',
      packets_s2d: 22,
      bytes_s2d: 2217,
      packets_d2s: 33,
      bytes_d2s: 32466,
    });
  });

  it('derives deny from state D under the AVNM ACL and keeps flow group rule names', () => {
    const denied = r.slice(10);
    expect(denied).toHaveLength(9);
    for (const row of denied) {
      expect(row.acl_id).toBe('01020304-abcd-ef00-1234-102030405060');
      expect(row.state).toBe('D');
      expect(row.decision).toBe('D');
      expect(row.direction).toBe('I');
      expect(row.dst_ip).toBe('10.0.0.6');
    }
    expect(denied.slice(0, 2).map((x) => x.rule)).toEqual(['BlockHighRiskTCPPortsFromInternet', 'BlockHighRiskTCPPortsFromInternet']);
    expect(denied.slice(2).every((x) => x.rule === 'Internet')).toBe(true);
    expect(denied[0]).toMatchObject({ time_ms: 1663145998065, src_ip: '101.33.218.153', src_port: 55188, dst_port: 22 });
    expect(denied[8]).toMatchObject({ time_ms: 1663146015545, src_ip: '20.106.221.10', dst_port: 31244 });
  });

  it('counts no unknown encryption values', () => {
    expect(stats.unknownEncryption).toEqual({});
  });
});

describe('§1.9.2 single record from the block reader (AVNM rule names with _<GUID>)', () => {
  const { rows: r } = rows('vnet-1.9.2-block-reader-record.json');

  it('decodes a bare record (no records wrapper)', () => {
    expect(r).toHaveLength(10);
    expect(r[0]).toMatchObject({
      time_ms: 1688875131557,
      record_time: '2023-07-09T03:59:30.2837112Z',
      mac: '0022485D8CF8',
      acl_id: 'db903ae8-908e-491b-b12b-afaafab9d9ed',
      src_ip: '45.119.212.87',
      dst_ip: '192.168.0.4',
      src_port: 53018,
      dst_port: 3389,
      state: 'D',
      decision: 'D',
      encryption: 'NX',
      packets_s2d: 0,
      bytes_d2s: 0,
    });
  });

  it('keeps the raw rule name and splits the GUID suffix on request', () => {
    expect(r[0].rule).toBe('BlockHighRiskTCPPortsFromInternet_456b4993-6e57-4e46-aa4d-81767afff09c');
    expect(splitRuleName(r[0].rule)).toEqual({
      name: 'BlockHighRiskTCPPortsFromInternet',
      guid: '456b4993-6e57-4e46-aa4d-81767afff09c',
    });
    expect(r[1].rule).toBe('Internet_4b9ac3d8-dc7b-4b9e-8702-9e9c25b52451');
    expect(splitRuleName(r[1].rule)).toEqual({ name: 'Internet', guid: '4b9ac3d8-dc7b-4b9e-8702-9e9c25b52451' });
    expect(splitRuleName('DefaultRule_AllowInternetOutBound')).toEqual({
      name: 'DefaultRule_AllowInternetOutBound',
      guid: null,
    });
    expect(r.slice(1).every((x) => x.rule === r[1].rule)).toBe(true);
    expect(r[9]).toMatchObject({ time_ms: 1688875147864, src_ip: '194.26.135.247', dst_port: 20232 });
  });
});

describe('§1.9.3 tutorial sample (resourceId alias, other key order, seconds, tabs)', () => {
  const { rows: r } = rows('vnet-1.9.3-tutorial-record.json');

  it('reads resourceId as the flow log id and converts the 10-digit seconds timestamp to ms', () => {
    expect(r).toHaveLength(1);
    expect(r[0]).toEqual({
      time_ms: 1754512773000,
      record_time: '2025-08-06T20:39:33.3186341Z',
      version: 4,
      mac: '6045BDD6DD48',
      flow_log_id:
        '/SUBSCRIPTIONS/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e//RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/MYVNET-MYRESOURCEGROUP-FLOWLOG',
      target_resource_id: null,
      acl_id: '00000000-0000-0000-0000-000000000000',
      rule: 'DefaultRule_AllowInternetOutBound',
      src_ip: '10.0.0.4',
      dst_ip: '13.107.21.200',
      src_port: 49982,
      dst_port: 443,
      protocol: 6,
      direction: 'O',
      state: 'C',
      decision: 'A',
      encryption: 'NX',
      packets_s2d: 7,
      bytes_s2d: 1158,
      packets_d2s: 12,
      bytes_d2s: 8143,
      blob: 'vnet-1.9.3-tutorial-record.json',
      block: null,
    } satisfies FlowRow);
  });
});

describe('§1.9.4 early capture (two ACL entries)', () => {
  const r = allRows(decodeVnetV4(sample('vnet-1.9.4-early-capture.json')).batches);

  it('decodes each ACL entry with its own aclID and rules', () => {
    expect(r).toHaveLength(7);
    expect(r[0]).toMatchObject({
      time_ms: 1675551600689,
      acl_id: 'fbd9a77e-bdab-4ce8-b4fb-64bf199d66bf',
      rule: 'DefaultRule_AllowInternetOutBound',
      src_ip: '192.168.0.8',
      dst_ip: '40.79.154.85',
      src_port: 58973,
      dst_port: 443,
      direction: 'O',
      state: 'E',
      decision: 'A',
      packets_s2d: 15,
      bytes_s2d: 8645,
      packets_d2s: 13,
      bytes_d2s: 9044,
      mac: '6045BD7431F1',
      flow_log_id:
        '/SUBSCRIPTIONS/014E7430-FD92-4579-9119-E861D926508A/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS2EUAP/FLOWLOGS/FLRUNNERSFLOWLOG',
    });
    expect(r[1]).toMatchObject({
      acl_id: '65624055-d088-44e6-9c98-b7cadd84885a',
      rule: 'BlockHighRiskTCPPortsFromInternet_8e593d16-5f9d-4b25-b3b2-df7b6951a08b',
      decision: 'D',
    });
    expect(r.slice(2).every((x) => x.rule === 'Internet_d04abb96-9395-47cb-a760-7640a232c7a1')).toBe(true);
    expect(r[6]).toMatchObject({ time_ms: 1675551618678, src_ip: '107.170.245.18', dst_port: 1400 });
  });

  it('refuses NSG input when asked for VNet only', () => {
    const err = thrown(() => decodeVnetV4(sample('nsg-2.5.2-v2.json'), { source: 'x.json' }));
    expect(err).toBeInstanceOf(FlowLogFormatError);
    expect((err as FlowLogFormatError).message).toMatch(/x\.json, record 0.*expected VNet/);
  });
});

describe('§2.5.1 NSG v1 documentation sample (malformed: nested records)', () => {
  const name = 'nsg-2.5.1-v1-malformed.json';

  it('strict mode: a located FlowLogFormatError for record 2', () => {
    const err = thrown(() => decodeBuffer(sample(name), { source: name }));
    expect(err).toBeInstanceOf(FlowLogFormatError);
    const e = err as FlowLogFormatError;
    expect(e.location.source).toBe(name);
    expect(e.location.record).toBe(2);
    expect(e.location.offset).toBeGreaterThan(0);
    expect(e.reason).toMatch(/nests its own "records"/);
    expect(e.message).toMatch(/^nsg-2\.5\.1-v1-malformed\.json, record 2, byte \d+: /);
  });

  it('lenient mode: the two good records, the nested one skipped and counted', () => {
    const { rows: r, stats } = rows(name, true);
    expect(stats.records).toBe(2);
    expect(stats.skippedRecords).toBe(1);
    expect(stats.skipReasons).toEqual({ 'nested "records" array': 1 });
    expect(r).toHaveLength(9);
    expect(r[0]).toEqual({
      time_ms: 1487282421000,
      record_time: '2017-02-16T22:00:32.8950000Z',
      version: 1,
      mac: '000D3AF8801A',
      flow_log_id:
        '/SUBSCRIPTIONS/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/RESOURCEGROUPS/FABRIKAMRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/FABRIAKMVM1-NSG',
      target_resource_id: null,
      acl_id: null,
      rule: 'DefaultRule_DenyAllInBound',
      src_ip: '192.0.2.95',
      dst_ip: '10.1.0.4',
      src_port: 51529,
      dst_port: 5358,
      protocol: 6,
      direction: 'I',
      state: null,
      decision: 'D',
      encryption: null,
      packets_s2d: null,
      bytes_s2d: null,
      packets_d2s: null,
      bytes_d2s: null,
      blob: name,
      block: null,
    } satisfies FlowRow);
    expect(r.slice(1, 5).every((x) => x.rule === 'UserRule_default-allow-rdp' && x.decision === 'A' && x.dst_port === 3389)).toBe(
      true,
    );
    // Second record: the UDP tuple `…,53,1732,U,I,D`.
    expect(r[5]).toMatchObject({
      record_time: '2017-02-16T22:01:32.8960000Z',
      time_ms: 1487282481000,
      src_ip: '198.51.100.194',
      src_port: 53,
      dst_port: 1732,
      protocol: 17,
      decision: 'D',
    });
    expect(r[8]).toMatchObject({ time_ms: 1487282477000, src_ip: '192.0.2.50', src_port: 65078 });
  });
});

describe('§2.5.2 NSG v2 sample', () => {
  const { rows: r, stats } = rows('nsg-2.5.2-v2.json');

  it('decodes 11 tuples of two records with empty B counters as null', () => {
    expect(stats.records).toBe(2);
    expect(stats.versions).toEqual({ 1: 0, 2: 2, 4: 0 });
    expect(r).toHaveLength(11);
    expect(r[0]).toMatchObject({
      version: 2,
      time_ms: 1542110402000,
      mac: '000D3AF87856',
      rule: 'DefaultRule_DenyAllInBound',
      src_ip: '192.0.2.190',
      dst_port: 443,
      protocol: 17,
      direction: 'I',
      decision: 'D',
      state: 'B',
      encryption: null,
      packets_s2d: null,
      bytes_s2d: null,
      packets_d2s: null,
      bytes_d2s: null,
    });
  });

  it('reads C and E counters', () => {
    expect(r[4]).toMatchObject({ rule: 'DefaultRule_AllowInternetOutBound', state: 'E', decision: 'A', packets_s2d: 1, bytes_s2d: 66 });
    expect(r[5]).toMatchObject({ state: 'C', dst_ip: '203.0.113.115', packets_s2d: 30, bytes_s2d: 16978, packets_d2s: 24, bytes_d2s: 14008 });
    expect(r[6]).toMatchObject({ state: 'E', packets_s2d: 15, bytes_s2d: 8489, packets_d2s: 12, bytes_d2s: 7054 });
    expect(r[10]).toMatchObject({
      record_time: '2018-11-13T12:01:35.3918317Z',
      time_ms: 1542110490000,
      src_ip: '176.119.4.30',
      dst_port: 52801,
      protocol: 6,
    });
  });

  it('decodeNsg accepts it and refuses VNet input', () => {
    expect(decodeNsg(sample('nsg-2.5.2-v2.json')).stats.tuples).toBe(11);
    expect(thrown(() => decodeNsg(sample('vnet-1.9.1-overview.json')))).toBeInstanceOf(FlowLogFormatError);
  });
});

describe('§2.5.3 NSG v1 record with empty flows arrays', () => {
  const { rows: r } = rows('nsg-2.5.3-block-reader.json');

  it('decodes the non-empty rules and skips the empty ones without error', () => {
    expect(r).toHaveLength(12);
    expect(r.slice(0, 8).every((x) => x.rule === 'DefaultRule_AllowInternetOutBound' && x.direction === 'O')).toBe(true);
    expect(r.slice(8).every((x) => x.rule === 'UserRule_web-rule' && x.dst_port === 80)).toBe(true);
    expect(r[0]).toMatchObject({ time_ms: 1497646722000, src_ip: '10.0.0.4', dst_ip: '168.62.32.14', src_port: 44904, mac: '000D3A18077E' });
    expect(r[11]).toMatchObject({ time_ms: 1497646780000, src_ip: '13.82.225.93', src_port: 1336 });
  });
});

describe('§2.5.4 raw middle block (leading comma)', () => {
  const name = 'nsg-2.5.4-middle-block-excerpt.txt';

  it('the excerpt as printed (tuples elided with …) is a located error in strict mode', () => {
    const err = thrown(() => decodeBuffer(sample(name), { source: name, block: 'ZDk5MQ==' }));
    expect(err).toBeInstanceOf(FlowLogFormatError);
    const e = err as FlowLogFormatError;
    expect(e.location).toMatchObject({ source: name, block: 'ZDk5MQ==', record: 0 });
    expect(e.reason).toMatch(/flow tuple must be a string/);
  });

  it('with the elisions removed it decodes as a fragment starting with a comma', () => {
    const text = sample(name).toString('utf8').replaceAll(',…', '');
    expect(text.startsWith(',{"time"')).toBe(true);
    const { batches, stats } = decodeBuffer(text, { source: name, block: 'blk-7' });
    const r = allRows(batches);
    expect(stats.records).toBe(1);
    expect(r).toHaveLength(3);
    expect(r[0]).toMatchObject({
      version: 1,
      record_time: '2018-08-13T12:56:57.7450115Z',
      mac: '002248010362',
      rule: 'DefaultRule_DenyAllInBound',
      time_ms: 1534164982000,
      src_ip: '185.92.73.26',
      dst_port: 3389,
      decision: 'D',
      block: 'blk-7',
      flow_log_id:
        '/SUBSCRIPTIONS/743F6ED6-83A8-46F0-822D-EA93B953952D/RESOURCEGROUPS/ESPLUNKRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/STANDALONE-NSG',
    });
    expect(r[2]).toMatchObject({ rule: 'DefaultRule_AllowInternetOutBound', time_ms: 1534165014000, dst_ip: '51.141.128.36', src_port: 42890 });
  });
});
