/**
 * Fast-forward into a folder: how often block lists are committed must not change the files.
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticScenario } from '../../src/emulator/index.js';
import { readBlobs, runToFolder } from './support.js';

function contents(dir: string): Map<string, string> {
  return new Map(readBlobs(dir).map((b) => [relative(dir, join(dir, b.path)), b.bytes.toString('latin1')]));
}

describe('folder sink commits', () => {
  it('writes the same files with batched commits (large, overlapped and tiny batches) as with one commit per minute', async () => {
    const scenario = syntheticScenario(60, 3);
    const options = { duration: '75m', start: '2025-01-06T23:30:00Z', profile: 'ga' as const };
    const perMinute = await runToFolder(scenario, { ...options, commit: 'minute' });
    const batched = await runToFolder(scenario, { ...options, commit: 'batched' });
    // 8 KiB: a commit after every minute, reopening files kept open or closed by the sink's cap.
    const tiny = await runToFolder(scenario, { ...options, commit: 'batched', maxPendingBytes: 8192 });
    // Batches of several minutes: each is written in the background while the next minutes run.
    const overlapped = await runToFolder(scenario, {
      ...options,
      commit: 'batched',
      maxPendingBytes: 1024 * 1024,
    });
    expect(batched.summary.commits).toBeLessThan(perMinute.summary.commits);
    expect(tiny.summary.commits).toBeGreaterThanOrEqual(75);
    // Tiny batches are committed at once, minute by minute; only the last goes to the thread pool
    // (awaited right away: nothing is left to emulate).
    expect(tiny.backgroundCommits).toBe(1);
    expect(overlapped.backgroundCommits).toBeGreaterThan(5);
    const a = contents(perMinute.dir);
    expect(a.size).toBeGreaterThan(60);
    for (const other of [contents(batched.dir), contents(tiny.dir), contents(overlapped.dir)]) {
      expect([...other.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [path, text] of a) expect(other.get(path), path).toBe(text);
    }
    for (const text of a.values()) expect(() => JSON.parse(text)).not.toThrow();
  });
});
