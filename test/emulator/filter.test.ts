import { describe, expect, it } from 'vitest';
import { compileFilter, compileRecordTypes, type FilterSubject } from '../../src/emulator/index.js';
import { ScenarioError } from '../../src/errors.js';

const flow = (o: Partial<FilterSubject> = {}): FilterSubject => ({
  srcIp: '10.0.0.4',
  dstIp: '20.252.145.59',
  srcPort: 50000,
  dstPort: 443,
  protocol: 6,
  direction: 'O',
  allowed: true,
  encryption: 'NX',
  ...o,
});

describe('enabledFilteringCriteria', () => {
  it('evaluates the documented examples', () => {
    const f = compileFilter('dstip=20.252.145.59 || DstPort=54300-54400');
    expect(f(flow())).toBe(true);
    expect(f(flow({ dstIp: '1.2.3.4', dstPort: 54350 }))).toBe(true);
    expect(f(flow({ dstIp: '1.2.3.4', dstPort: 443 }))).toBe(false);
  });

  it('binds && tighter than ||, handles CIDRs, lists, != and NX_ALL', () => {
    const f = compileFilter('SrcIP=10.0.0.0/24 && Protocol=UDP || Encryption=NX_ALL && Direction=Inbound');
    expect(f(flow({ protocol: 17 }))).toBe(true);
    expect(f(flow())).toBe(false);
    expect(f(flow({ srcIp: '1.1.1.1', direction: 'I', encryption: 'NX_HW_NOT_SUPPORTED' }))).toBe(true);
    expect(f(flow({ srcIp: '1.1.1.1', direction: 'I', encryption: 'X' }))).toBe(false);
    const g = compileFilter('DstPort!=22,3389 && Action=Allow');
    expect(g(flow())).toBe(true);
    expect(g(flow({ dstPort: 3389 }))).toBe(false);
    expect(g(flow({ allowed: false }))).toBe(false);
    const s = compileFilter('FlowState=B,E');
    expect(s(flow({ state: 'B' }))).toBe(true);
    expect(s(flow({ state: 'C' }))).toBe(false);
  });

  it('rejects brackets, unknown fields and bad values with a located error', () => {
    expect(() => compileFilter('(DstPort=1)', 'flowLogs[0].enabledFilteringCriteria')).toThrow(ScenarioError);
    expect(() => compileFilter('Colour=red')).toThrow(/unknown filter field/);
    expect(() => compileFilter('DstPort=abc')).toThrow(/bad port/);
    expect(() => compileFilter('x'.repeat(1001))).toThrow(/1000/);
  });

  it('parses recordTypes', () => {
    expect([...compileRecordTypes('B, e')]).toEqual(['B', 'E']);
    expect(compileRecordTypes(undefined).size).toBe(4);
    expect(() => compileRecordTypes('B,X')).toThrow(/bad record type/);
  });
});
