import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coverage, coverageTable, renderCoverageReport } from '../../src/coverage/index.js';
import { loadScenario, type Scenario } from '../../src/model/index.js';
import { EXAMPLES } from './support.js';

const ROOT = join(import.meta.dirname, '../..');
const seedLab = () => loadScenario(join(EXAMPLES, 'seed-lab.yaml')).scenario;

describe('coverage', () => {
  it('with a fixed NSG order the outcome follows it, and a caveat names the NSG the other order would log at', () => {
    const s: Scenario = { ...seedLab(), nsgEvaluationOrder: 'documented' };
    const r = coverage(s, { profile: 'preview-2023' });
    const web = r.probes.find((p) => p.pattern === 'web-via-two-nsgs')!;
    const inbound = web.sides.find((x) => x.direction === 'I')!;
    // Documented inbound order: subnet NSG, then NIC NSG; nsg-web (NIC) decides last and has no flow log.
    expect(inbound.nsg.outcome).toBe('not-recorded');
    expect(inbound.nsg.reasonCode).toBe('scope');
    expect(inbound.nsg.caveat).toMatch(/NSG nsg-subnet last, flow log fl-nsg-subnet would record it/);
    expect(inbound.vnet.outcome).toBe('recorded');
  });

  it('random order gives a conditional outcome naming the NSG that must be evaluated last', () => {
    const r = coverage(seedLab(), { profile: 'preview-2023' });
    const inbound = r.probes
      .find((p) => p.pattern === 'web-via-two-nsgs')!
      .sides.find((x) => x.direction === 'I')!;
    expect(inbound.nsg.outcome).toBe('conditional');
    expect(inbound.nsg.reason).toContain('NSG nsg-subnet last');
    expect(inbound.nsg.flowLog).toBe('fl-nsg-subnet');
    // The VNet flow log records either way, under whichever NSG rule was last: both are listed.
    expect(inbound.vnet.rules.sort()).toEqual(['UserRule_allow-web', 'UserRule_allow-web-subnet']);
  });

  it('reasons: protocol, private endpoint, AVNM, scope and filters come from the recorder', () => {
    const r = coverage(seedLab(), { profile: 'preview-2023' });
    const codes = new Set(
      r.probes.flatMap((p) => p.sides.flatMap((s) => [s.nsg.reasonCode, s.vnet.reasonCode])),
    );
    for (const c of ['protocol', 'private-endpoint', 'avnm', 'scope', 'nsg-order', 'encryption'])
      expect(codes, c).toContain(c);
    const hub = loadScenario(join(EXAMPLES, 'hub-spoke.yaml')).scenario;
    const h = coverage(hub, { profile: 'ga' });
    const filtered = h.probes.flatMap((p) => p.sides).filter((s) => s.vnet.reasonCode === 'filtered');
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((s) => s.vnet.flowLog === 'fl-sql1')).toBe(true);
  });

  it('without traffic: probes every NIC pair on the ports its rules open, ICMP per pair, and private endpoints', () => {
    const s: Scenario = { ...seedLab(), traffic: [], generators: {} };
    const r = coverage(s, { profile: 'ga' });
    expect(r.derived).toBe(true);
    const pairs = r.probes.filter((p) => p.kind === 'pair');
    // vm-case5's NIC NSG opens TCP/3389 and the AVNM rules name 3389: client → case5 is probed on it.
    expect(
      pairs.some(
        (p) => p.from === 'vm-client' && p.to === 'vm-case5' && p.protocol === 6 && p.dstPort === 3389,
      ),
    ).toBe(true);
    // vm-web's NSGs open 80, 443, 8080; the AVNM rules of its VNet name 3389.
    expect(
      pairs
        .filter((p) => p.from === 'vm-client' && p.to === 'vm-web')
        .map((p) => p.dstPort)
        .sort((a, b) => a - b),
    ).toEqual([80, 443, 3389, 8080]);
    const nics = s.nics.length;
    const icmp = r.probes.filter((p) => p.kind === 'icmp');
    expect(icmp.length).toBeLessThanOrEqual(nics * (nics - 1));
    expect(icmp.length).toBeGreaterThan(0);
    expect(
      icmp.every((p) =>
        p.sides.every((x) => x.vnet.reasonCode === 'protocol' && x.nsg.reasonCode === 'protocol'),
      ),
    ).toBe(true);
    expect(r.probes.filter((p) => p.kind === 'privateEndpoint').length).toBe(nics); // every NIC reaches the hub PE (same VNet or peered)
    const t = coverageTable(r);
    expect(t.rows.find((x) => x.type === 'vnet')!.cells.privateEndpoint.value).toBe('partly recorded'); // vm-peer1 has no VNet flow log
  });

  it('the text report holds both tables and the blob of every recording', () => {
    const r = coverage(seedLab(), { profile: 'preview-2023' });
    const text = renderCoverageReport(r);
    expect(text).toContain('| VNet flow logs | recorded | not recorded | not recorded | recorded |');
    for (const p of r.probes) expect(text).toContain(p.pattern);
    for (const p of r.probes) for (const s of p.sides) if (s.vnet.blob) expect(text).toContain(s.vnet.blob);
  });

  it('CLI: flowlens coverage prints the table, --json one object, bad options exit 2', () => {
    const run = (...args: string[]) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'coverage', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const json = JSON.parse(run(join(EXAMPLES, 'seed-lab.yaml'), '--profile', 'preview-2023', '--json'));
    expect(json.table.rows[1].cells.avnm.value).toBe('recorded');
    expect(json.report.probes.length).toBeGreaterThan(10);
    const bad = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'coverage',
        join(EXAMPLES, 'seed-lab.yaml'),
        '--profile',
        'nope',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^flowlens: --profile/);
    const missing = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'coverage', join(EXAMPLES, 'nope.yaml')],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.yaml/);
  }, 300_000);
});
