import { UsageError } from '../errors.js';
import { analyze, loadAnalyticsContext, type AnalyticsOptions } from '../analytics/index.js';
import type { Store, TableRows } from '../store/types.js';
import type { Deriver } from './run.js';

/**
 * The analytics step of ingestion: each committed chunk also carries its Traffic Analytics partial
 * rows, so aggregates are exactly-once for the same reason tuples are.
 */
export interface DeriverOptions extends AnalyticsOptions {
  /** Scenario YAML whose topology enriches flows (subnets, VNets, regions). */
  topology?: string;
  store?: Store;
}

/** What a decoder thread needs to build the same deriver itself: plain, cloneable options. */
export type DeriverSpec = Omit<DeriverOptions, 'store'>;

/**
 * A deriver made by `createDeriver` remembers its options, so that ingestion can run it on the
 * decoder threads next to decoding (the rows then never wait for the main thread, which is left
 * to the store). A hand-written `Deriver` has no spec and runs on the main thread.
 */
export const DERIVER_SPEC: unique symbol = Symbol('flowlens.deriverSpec');

export type PortableDeriver = Deriver & { [DERIVER_SPEC]?: DeriverSpec };

export function deriverSpecOf(derive: Deriver | undefined): DeriverSpec | undefined {
  return derive ? (derive as PortableDeriver)[DERIVER_SPEC] : undefined;
}

export async function createDeriver(options: DeriverOptions = {}): Promise<Deriver> {
  let topology;
  if (options.topology) {
    const analytics = (await import('../analytics/index.js')) as Record<string, unknown>;
    const load = analytics.loadTopologyFromScenario as
      ((file: string) => Promise<unknown> | unknown) | undefined;
    if (typeof load !== 'function') {
      throw new UsageError(
        '--topology: this build of analytics cannot read a scenario yet (needs loadTopologyFromScenario)',
      );
    }
    topology = (await load(options.topology)) as Parameters<typeof loadAnalyticsContext>[1];
  }
  const { topology: _t, store: _s, ...analyticsOptions } = options;
  const context = loadAnalyticsContext(analyticsOptions, topology);
  const derive: PortableDeriver = (tuples) => {
    const out: TableRows[] = [];
    for (const batch of tuples) out.push(...analyze(batch, context));
    return out;
  };
  const { store: _store, ...spec } = options;
  derive[DERIVER_SPEC] = spec;
  return derive;
}
