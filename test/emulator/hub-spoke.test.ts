/**
 * examples/hub-spoke.yaml: scope precedence (NIC > subnet > VNet), record types and filtering
 * criteria, read back from the blobs with the decoder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadScenario } from '../../src/model/index.js';
import { parseBlobPath } from '../../src/formats/index.js';
import { decodeAll, readBlobs, runToFolder, VNET, type Row } from './support.js';

let rows: Row[];
const flowLogOf = (r: Row) => parseBlobPath(r.path)!.flowLogName;

beforeAll(async () => {
  const { scenario } = loadScenario(join(import.meta.dirname, '../../examples/hub-spoke.yaml'));
  const { dir } = await runToFolder(scenario, { profile: 'ga', duration: '25m' });
  rows = decodeAll(readBlobs(dir));
});

describe('hub-spoke example', () => {
  it('records each NIC under exactly one VNet flow log, by NIC > subnet > VNet precedence', () => {
    const byIp = new Map<string, Set<string>>();
    for (const r of rows.filter((x) => x.container === VNET)) {
      const ip = r.direction === 'O' ? r.src_ip : r.dst_ip;
      byIp.set(ip, new Set([...(byIp.get(ip) ?? []), flowLogOf(r)!]));
    }
    expect([...(byIp.get('10.20.1.4') ?? [])]).toEqual(['FL-VNET-SPOKE-WEB']);
    expect([...(byIp.get('10.20.2.4') ?? [])]).toEqual(['FL-SNET-APP']);
    expect([...(byIp.get('10.30.1.4') ?? [])]).toEqual(['FL-SQL1']);
    expect([...(byIp.get('10.10.1.4') ?? [])]).toEqual(['FL-VNET-HUB']);
  });

  it('applies recordTypes (no C under the subnet flow log, C elsewhere)', () => {
    const app = rows.filter((r) => r.container === VNET && flowLogOf(r) === 'FL-SNET-APP');
    expect(app.length).toBeGreaterThan(0);
    expect(app.some((r) => r.state === 'C')).toBe(false);
    expect(rows.some((r) => r.container === VNET && flowLogOf(r) === 'FL-SQL1' && r.state === 'C')).toBe(true);
  });

  it('applies the NIC flow log filter DstPort=1433 || Action=Deny', () => {
    const sql = rows.filter((r) => r.container === VNET && flowLogOf(r) === 'FL-SQL1');
    expect(sql.length).toBeGreaterThan(0);
    for (const r of sql) expect(r.dst_port === 1433 || r.state === 'D').toBe(true);
    expect(sql.some((r) => r.state === 'D')).toBe(true);
    // Platform DNS from sql1 is filtered out, while other NICs' platform DNS is recorded.
    expect(sql.some((r) => r.dst_ip === '168.63.129.16')).toBe(false);
    expect(rows.some((r) => r.src_ip === '10.20.2.4' && r.dst_ip === '168.63.129.16' && r.dst_port === 53)).toBe(true);
  });

  it('records AVNM denies of internet scanners under the admin rule', () => {
    const denied = rows.filter((r) => r.container === VNET && r.rule.startsWith('BlockHighRiskTCPPortsFromInternet_'));
    expect(denied.length).toBeGreaterThan(0);
    for (const r of denied) expect(r.state).toBe('D');
  });
});
