/** `flowlens parse` end to end: the real CLI entry point in a child process. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOW_ROW_COLUMNS } from '../../src/formats/index.js';
import { testdataDir } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'flowlens-parse-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function flowlens(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function place(sampleName: string, ...dirs: string[]): string {
  const dir = join(work, ...dirs);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'PT1H.json');
  copyFileSync(join(testdataDir, sampleName), path);
  return path;
}

describe('flowlens parse', () => {
  const tree = join(work, 'tree');
  place('vnet-1.9.1-overview.json', 'tree', 'flowLogResourceID=', 'A_B', 'y=2022', 'macAddress=00224871C205');
  place('nsg-2.5.2-v2.json', 'tree', 'resourceId=', 'y=2018', 'macAddress=000D3AF87856');
  writeFileSync(join(tree, 'notes.json'), '{"not":"a flow log"}');

  it('walks directories for PT1H.json and prints one JSON row per tuple with the FlowBatch names', () => {
    const r = flowlens('parse', tree);
    expect(r.stderr).toContain('flowlens parse: 2 files, 3 records, 30 tuples, 0 skipped, 0 errors');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(30);
    expect(Object.keys(lines[0])).toEqual(FLOW_ROW_COLUMNS);
    const nsg = lines.find((l) => l.version === 2);
    expect(nsg).toMatchObject({ src_ip: '192.0.2.190', protocol: 17, decision: 'D', state: 'B', packets_s2d: null });
    const vnet = lines.find((l) => l.version === 4);
    expect(vnet).toMatchObject({ time_ms: 1663146003599, mac: '00224871C205', rule: 'DefaultRule_AllowInternetOutBound' });
    expect(String(vnet?.blob)).toMatch(/macAddress=00224871C205\/PT1H\.json$/);
  });

  it('writes CSV to --out', () => {
    const out = join(work, 'rows.csv');
    const r = flowlens('parse', join(testdataDir, 'nsg-2.5.3-block-reader.json'), '--format', 'csv', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(FLOW_ROW_COLUMNS.join(','));
    expect(lines).toHaveLength(13);
    const first = Object.fromEntries(lines[0].split(',').map((k, i) => [k, lines[1].split(',')[i]]));
    expect(first).toMatchObject({
      time_ms: '1497646722000',
      version: '1',
      mac: '000D3A18077E',
      rule: 'DefaultRule_AllowInternetOutBound',
      src_ip: '10.0.0.4',
      dst_ip: '168.62.32.14',
      protocol: '6',
      direction: 'O',
      state: '',
      decision: 'A',
      packets_s2d: '',
    });
  });

  it('strict: malformed input exits 1 with the located error and leaves no --out file', () => {
    const out = join(work, 'bad.jsonl');
    const r = flowlens('parse', join(testdataDir, 'nsg-2.5.1-v1-malformed.json'), '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/flowlens: .*nsg-2\.5\.1-v1-malformed\.json, record 2, byte \d+: record nests its own "records" array/);
    // A file that fails in strict mode adds nothing to the counts (its rows are not written).
    expect(r.stderr).toContain('flowlens parse: 1 file, 0 records, 0 tuples, 0 skipped, 1 error');
    expect(existsSync(out)).toBe(false);
  });

  it('lenient: the good records, with the skip counted by reason', () => {
    const r = flowlens('parse', '--lenient', join(testdataDir, 'nsg-2.5.1-v1-malformed.json'));
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(9);
    expect(r.stderr).toContain('1 file, 2 records, 9 tuples, 0 skipped, 0 errors (1 records skipped); skip reasons: nested "records" array ×1');
  });

  it('rejects an unknown --format with a usage error (exit 2)', () => {
    const r = flowlens('parse', tree, '--format', 'xml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format is jsonl or csv');
  });
});
