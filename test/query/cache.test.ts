import { describe, expect, it } from 'vitest';
import { KqlError, defaultSchema, translateKql, translateKqlToPlan, type KqlSchema } from '../../src/query/kql/index.js';
import { schemaFromStore } from '../../src/query/index.js';
import { openStore } from '../../src/store/index.js';

/**
 * What the translator keeps between queries (one Kusto GlobalState per schema, the plans of texts
 * already translated) must never change an answer: same text and schema → same plan; another
 * schema → its own analysis; errors are not remembered.
 */

const narrow = (extra: string[] = []): KqlSchema => ({
  tables: [{ name: 'NTANetAnalytics', columns: [{ name: 'SrcIp', type: 'string' }, ...extra.map((name) => ({ name, type: 'long' as const }))] }],
});

function errorOf(f: () => unknown): KqlError {
  try {
    f();
  } catch (err) {
    if (err instanceof KqlError) return err;
    throw err;
  }
  throw new Error('expected a KqlError');
}

describe('translation cache', () => {
  it('gives the same plan for the same text, frozen so no caller can change it for the next', () => {
    const text = "NTANetAnalytics | where SrcIp == '10.0.0.1' | summarize n = count() by DestIp";
    const a = translateKqlToPlan(text, defaultSchema);
    const b = translateKqlToPlan(text, defaultSchema);
    expect(b).toBe(a);
    expect(Object.isFrozen(a.plan)).toBe(true);
    expect(() => {
      (a.plan.columns as unknown as unknown[]).push({ name: 'x', type: 'long' });
    }).toThrow(TypeError);
    // A text that differs only in a comment is analysed on its own and gives an equal plan.
    const c = translateKqlToPlan(`${text}\n// again`, defaultSchema);
    expect(c).not.toBe(a);
    expect(c.plan).toEqual(a.plan);
  });

  it('fixes now() when SQL is generated, not when the plan is remembered', () => {
    const text = 'NTANetAnalytics | where TimeGenerated > ago(1h) | count';
    const early = translateKql(text, { dialect: 'duckdb', nowMs: Date.UTC(2026, 0, 1) }).sql;
    const late = translateKql(text, { dialect: 'duckdb', nowMs: Date.UTC(2026, 5, 1) }).sql;
    expect(early).toContain("TIMESTAMP '2026-01-01 00:00:00");
    expect(late).toContain("TIMESTAMP '2026-06-01 00:00:00");
  });

  it('analyses a text again against a schema with other columns', () => {
    const text = 'NTANetAnalytics | project SrcIp, Extra';
    const err = errorOf(() => translateKqlToPlan(text, narrow()));
    expect(err.message).toMatch(/'Extra' does not refer to any known column/);
    const ok = translateKqlToPlan(text, narrow(['Extra']));
    expect(ok.plan.columns).toEqual([
      { name: 'SrcIp', type: 'string' },
      { name: 'Extra', type: 'long' },
    ]);
    // And back: the narrow schema still refuses it (an equal schema object shares its state).
    expect(errorOf(() => translateKqlToPlan(text, narrow())).offset).toBe(err.offset);
  });

  it('does not remember errors: an invalid or unsupported text throws each time', () => {
    for (const text of ['NTANetAnalytics | where NoSuchColumn == 1', 'NTANetAnalytics | make-series count() on TimeGenerated step 1h']) {
      const first = errorOf(() => translateKqlToPlan(text, defaultSchema));
      const second = errorOf(() => translateKqlToPlan(text, defaultSchema));
      expect(second.message).toBe(first.message);
    }
  });

  it("hands back the store's previous schema object while its tables are unchanged", async () => {
    const store = await openStore({ db: ':memory:' });
    try {
      const a = await schemaFromStore(store);
      const b = await schemaFromStore(store);
      expect(b).toBe(a);
      expect(a.tables.find((t) => t.name === 'NTANetAnalytics')!.columns.length).toBeGreaterThan(10);
    } finally {
      await store.close();
    }
  });
});
