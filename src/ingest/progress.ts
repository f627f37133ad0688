import cliProgress from 'cli-progress';
import type { IngestProgress, IngestSummary } from './run.js';

/**
 * Progress for long ingests: a bar on a TTY (cli-progress), otherwise one line every
 * `everyMs` so logs and CI output stay readable. Both write to stderr; stdout keeps the summary.
 */
export interface ProgressReporter {
  update(progress: IngestProgress): void;
  stop(): void;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export function createProgressReporter(
  options: { tty?: boolean; everyMs?: number; stream?: NodeJS.WriteStream } = {},
): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          'pass {pass} {bar} {value}/{total} blobs | {blocks} blocks | {tuples} tuples | {mb} MB | {errors} errors | {phase}',
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = {
          pass: p.pass,
          blocks: p.blocks,
          tuples: p.tuples,
          mb: mb(p.bytes),
          errors: p.errors,
          phase: p.phase,
        };
        if (!started) {
          bar.start(Math.max(p.blobsListed, 1), p.blobsDone, payload);
          started = true;
        }
        bar.setTotal(Math.max(p.blobsListed, 1));
        bar.update(p.blobsDone, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const everyMs = options.everyMs ?? 5000;
  let last = 0;
  let lastPhase = '';
  return {
    update(p) {
      const now = Date.now();
      if (now - last < everyMs && p.phase === lastPhase) return;
      if (p.phase === 'waiting' && lastPhase === 'waiting') return;
      last = now;
      lastPhase = p.phase;
      stream.write(
        `flowlens ingest: pass ${p.pass} ${p.phase}: ${p.blobsDone}/${p.blobsListed} blobs, ${p.blocks} blocks, ${p.tuples} tuples, ${mb(p.bytes)} MB, ${p.errors} errors\n`,
      );
    },
    stop() {},
  };
}

export function formatSummary(s: IngestSummary): string {
  const rate = s.seconds > 0 ? s.bytes / 1e6 / s.seconds : 0;
  const parts = [
    `ingested ${s.blobs} blobs, ${s.blocks} blocks, ${s.tuples} tuples, ${mb(s.bytes)} MB in ${s.seconds.toFixed(1)} s (${rate.toFixed(1)} MB/s, ${s.seconds > 0 ? Math.round(s.tuples / s.seconds) : 0} tuples/s)`,
    `${s.errors} errors`,
  ];
  if (s.claimedElsewhere > 0) parts.push(`${s.claimedElsewhere} blobs held by other workers`);
  if (s.skippedQuarantined > 0)
    parts.push(`${s.skippedQuarantined} quarantined blobs skipped (--retry-quarantined to try them again)`);
  if (s.passes > 1) parts.push(`${s.passes} passes`);
  let text = parts.join('; ');
  for (const q of s.quarantined)
    text += `\n  quarantined ${q.blob}${q.block ? ` (block ${q.block})` : ''}: ${q.error}`;
  if (s.quarantined.length > 0)
    text += '\n  fix the data or the decoder, then run again with --retry-quarantined';
  return text;
}
