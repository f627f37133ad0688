import { describe, expect, it } from 'vitest';
import { parseDuration, parseInstant, resolveIngestOptions } from '../../src/ingest/config.js';
import { createProgressReporter, formatSummary } from '../../src/ingest/progress.js';
import { UsageError } from '../../src/errors.js';

describe('ingest options', () => {
  it('parses durations and instants the CLI accepts', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('3')).toBe(3000);
    expect(() => parseDuration('soon')).toThrowError(UsageError);
    expect(parseInstant('2026-11-26').toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(parseInstant('2026-11-26T09:30Z').toISOString()).toBe('2026-11-26T09:30:00.000Z');
    const now = new Date('2026-11-26T12:00:00Z');
    expect(parseInstant('-2h', now).toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(parseInstant('-1d', now).toISOString()).toBe('2026-11-25T12:00:00.000Z');
    expect(() => parseInstant('yesterday')).toThrowError(/ISO 8601/);
  });

  it('rejects --since after --until with a usage error', () => {
    expect(() =>
      resolveIngestOptions({ since: new Date('2026-11-27'), until: new Date('2026-11-26') }),
    ).toThrowError(UsageError);
    expect(resolveIngestOptions({}).intervalMs).toBe(10_000);
  });

  it('prints periodic progress lines when not on a TTY, and a summary naming quarantined blobs', () => {
    let out = '';
    const stream = {
      write: (s: string) => ((out += s), true),
      isTTY: false,
    } as unknown as NodeJS.WriteStream;
    const reporter = createProgressReporter({ stream, everyMs: 60_000 });
    const p = {
      phase: 'ingesting' as const,
      pass: 1,
      blobsListed: 10,
      blobsDone: 1,
      blocks: 5,
      tuples: 50,
      bytes: 2e6,
      errors: 0,
    };
    reporter.update(p);
    reporter.update({ ...p, blobsDone: 2 });
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toContain('1/10 blobs, 5 blocks, 50 tuples, 2.0 MB');
    const text = formatSummary({
      passes: 1,
      blobs: 3,
      blocks: 9,
      tuples: 90,
      bytes: 4e6,
      seconds: 2,
      errors: 1,
      quarantined: [{ source: 's', blob: 'b/PT1H.json', block: '@12', error: 'bad tuple' }],
      claimedElsewhere: 0,
      skippedQuarantined: 0,
    });
    expect(text).toContain(
      'ingested 3 blobs, 9 blocks, 90 tuples, 4.0 MB in 2.0 s (2.0 MB/s, 45 tuples/s); 1 errors',
    );
    expect(text).toContain('quarantined b/PT1H.json (block @12): bad tuple');
  });
});
