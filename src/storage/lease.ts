import type { ContainerClient } from '@azure/storage-blob';

/**
 * Claims: so that several `flowlens ingest` processes (on one machine or many) can share one
 * container, each blob's new blocks are ingested by exactly one of them at a time.
 *
 * Azure: one empty marker blob per flow-log blob (`<prefix><blob name>`, outside the flow-log
 * prefixes so listings never see it) and a Blob lease on it. A process that gets the lease reads
 * the blob's checkpoint from the shared store *after* acquiring it, ingests, commits, releases.
 * Others skip the blob for this pass. The lease is renewed while held and renewed once more right
 * before each commit, so a process that stalled past the lease (and may have been overtaken) stops
 * instead of committing. A crashed holder's lease expires after `durationSeconds`.
 */
export interface Claim {
  /** Renews the lease now; false when it was lost (stop, do not commit). */
  confirm(): Promise<boolean>;
  release(): Promise<void>;
}

export interface ClaimBook {
  /** Null when another worker holds the blob. */
  claim(blob: string): Promise<Claim | null>;
  close(): Promise<void>;
}

/** For a single process (folders, or `--no-lease`): every claim succeeds. */
export function soloClaims(): ClaimBook {
  const claim: Claim = { confirm: async () => true, release: async () => {} };
  return { claim: async () => claim, close: async () => {} };
}

export interface LeaseClaimOptions {
  /** Marker prefix inside the container. */
  prefix?: string;
  /** Lease length, 15–60 s (Azure's range for finite leases). */
  durationSeconds?: number;
  /** Called for every service request made (for accounting). */
  onRequest?: (kind: string) => void;
}

export const DEFAULT_CLAIM_PREFIX = 'flowlens-claims/';

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

export function leaseClaims(container: ContainerClient, options: LeaseClaimOptions = {}): ClaimBook {
  const prefix = options.prefix ?? DEFAULT_CLAIM_PREFIX;
  const duration = Math.min(60, Math.max(15, options.durationSeconds ?? 30));
  const count = options.onRequest ?? (() => {});
  const markersKnown = new Set<string>();
  const held = new Set<{ release(): Promise<void> }>();

  async function ensureMarker(name: string): Promise<void> {
    if (markersKnown.has(name)) return;
    count('createMarker');
    try {
      await container.getBlockBlobClient(name).upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (err) {
      const status = statusOf(err);
      if (status !== 409 && status !== 412) throw err;
    }
    markersKnown.add(name);
  }

  async function claim(blob: string): Promise<Claim | null> {
    const name = prefix + blob;
    await ensureMarker(name);
    const lease = container.getBlockBlobClient(name).getBlobLeaseClient();
    count('acquireLease');
    try {
      await lease.acquireLease(duration);
    } catch (err) {
      if (statusOf(err) === 409) return null;
      if (statusOf(err) === 404) {
        markersKnown.delete(name);
        return null;
      }
      throw err;
    }
    let lost = false;
    let released = false;
    const renew = async (): Promise<boolean> => {
      if (lost || released) return !lost;
      count('renewLease');
      try {
        await lease.renewLease();
        return true;
      } catch {
        lost = true;
        return false;
      }
    };
    const timer = setInterval(() => void renew(), (duration * 1000) / 3);
    timer.unref();
    const handle: Claim = {
      confirm: renew,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        held.delete(handle);
        if (lost) return;
        count('releaseLease');
        try {
          await lease.releaseLease();
        } catch {
          // Expired or taken over: nothing to give back.
        }
      },
    };
    held.add(handle);
    return handle;
  }

  return {
    claim,
    close: async () => {
      await Promise.all([...held].map((h) => h.release()));
    },
  };
}
