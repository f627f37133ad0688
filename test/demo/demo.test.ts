import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTICLE_AVNM, ARTICLE_COVERAGE, FEATURES, type DemoReport } from '../../src/demo/index.js';

const run = promisify(execFile);

// The demo as a newcomer runs it: the built CLI, a fresh folder, no server. Its tables are
// computed from the blobs it emitted and the store it filled; here they are held against the
// article's tables (reference/seed-observations.md).
describe('flowlens demo', () => {
  let dir: string;
  let report: DemoReport;
  let text: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flowlens-demo-'));
    const cli = join(process.cwd(), 'dist', 'cli', 'main.js');
    const json = await run(process.execPath, [cli, 'demo', '--no-serve', '--json', '--out', join(dir, 'json')], {
      maxBuffer: 64 * 1024 * 1024,
    });
    report = JSON.parse(json.stdout) as DemoReport;
    const plain = await run(process.execPath, [cli, 'demo', '--no-serve', '--out', join(dir, 'text')], {
      maxBuffer: 64 * 1024 * 1024,
    });
    text = plain.stdout;
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the format table as the emitted blobs have it', () => {
    const nsg = report.formats.find((f) => f.logType === 'nsg');
    const vnet = report.formats.find((f) => f.logType === 'vnet');
    expect(nsg).toMatchObject({ fileFormat: 'JSON', version: 2, tcpProtocolAs: 'T', analyticsTable: 'AzureNetworkAnalytics_CL' });
    expect(vnet).toMatchObject({ fileFormat: 'JSON', version: 4, tcpProtocolAs: '6', analyticsTable: 'NTANetAnalytics' });
    expect(nsg!.analyticsRows).toBeGreaterThan(0);
    expect(vnet!.analyticsRows).toBeGreaterThan(0);
    expect(text).toContain('NetworkSecurityGroupFlowEvent');
    expect(text).toContain('flowLogVersion 4');
  });

  it("reproduces the article's coverage table under preview-2023", () => {
    const preview = report.coverage.find((c) => c.profile === 'preview-2023')!;
    for (const logType of ['nsg', 'vnet'] as const) {
      for (const feature of FEATURES) {
        expect(preview.generated[feature]).toBe(true);
        expect(preview.tuples[logType][feature] > 0, `${logType} ${feature}`).toBe(ARTICLE_COVERAGE[logType][feature]);
      }
    }
    expect(text).toContain('Every cell matches the article.');
  });

  it('records private-endpoint traffic at the source VM under ga, and nothing else changes', () => {
    const ga = report.coverage.find((c) => c.profile === 'ga')!;
    expect(ga.tuples.vnet.privateEndpoint).toBeGreaterThan(0);
    expect(ga.tuples.vnet.avnm).toBeGreaterThan(0);
    expect(ga.tuples.vnet.encryption).toBeGreaterThan(0);
    expect(ga.tuples.vnet.nonTcpUdp).toBe(0);
    expect(ga.tuples.nsg.avnm).toBe(0);
    expect(ga.tuples.nsg.encryption).toBe(0);
  });

  it("reproduces the article's six AVNM × NSG rows from the VNet flow log", () => {
    expect(report.avnm).toHaveLength(6);
    report.avnm.forEach((row, i) => {
      const expected = ARTICLE_AVNM[i];
      expect({ admin: row.adminAccess, nsg: row.nsgAccess, kind: row.recordedKind, outcome: row.recordedOutcome }).toEqual(
        expected,
      );
    });
    expect(text.match(/as the article/g)).toHaveLength(6);
  });

  it('lists what the NSG flow logs missed, with reasons', () => {
    const patterns = report.nsgMissed.map((m) => m.pattern);
    expect(patterns).toEqual(expect.arrayContaining(['to-private-endpoint', 'peer-to-hub']));
    const peer = report.nsgMissed.find((m) => m.pattern === 'peer-to-hub')!;
    expect(peer.vnetConnections).toBeGreaterThan(peer.nsgConnections);
    expect(report.nsgMissed.every((m) => m.reasons.length > 0)).toBe(true);
  });
});
