import { UsageError } from '../errors.js';
import { leaseClaims, soloClaims, type ClaimBook } from '../storage/lease.js';
import { FLOW_LOG_CONTAINERS, type BlobSource } from '../storage/source.js';
import { openFolderSources } from '../storage/source-folder.js';
import type { AzureContainerTarget } from '../storage/source-azure.js';

/** Where to ingest from, as the CLI (or a library user) names it. */
export interface TargetSpec {
  /** A folder, or a container URL `https://ACCOUNT.blob.core.windows.net/CONTAINER[?SAS]`. */
  target?: string;
  connectionString?: string;
  /** With an account URL (DefaultAzureCredential). */
  accountUrl?: string;
  /** Container for `connectionString` / `accountUrl`; default the VNet flow-log container. */
  container?: string;
  /** Listing prefixes inside the container (default both flow-log layouts). */
  prefixes?: string[];
  /** Coordinate with other processes through blob leases (Azure only). Default true. */
  lease?: boolean;
  leaseSeconds?: number;
}

export interface OpenedTarget {
  sources: BlobSource[];
  claims: Map<string, ClaimBook>;
  close(): Promise<void>;
}

export async function openTarget(spec: TargetSpec): Promise<OpenedTarget> {
  let azure: AzureContainerTarget | null = null;
  const container = spec.container ?? FLOW_LOG_CONTAINERS[0];
  if (spec.connectionString) {
    if (spec.target) throw new UsageError('give either a folder/URL or --connection-string, not both');
    azure = { connectionString: spec.connectionString, container };
  } else if (spec.accountUrl) {
    if (spec.target) throw new UsageError('give either a folder/URL or --account-url, not both');
    azure = { accountUrl: spec.accountUrl, container };
  } else if (spec.target && /^https?:\/\//i.test(spec.target)) {
    if (spec.container)
      throw new UsageError(
        '--container goes with --connection-string or --account-url; a URL names its container',
      );
    azure = { containerUrl: spec.target };
  } else if (!spec.target) {
    throw new UsageError(
      'nothing to ingest: give a folder, a container URL, or --connection-string S --container C',
    );
  }
  const claims = new Map<string, ClaimBook>();
  if (azure) {
    // The Azure SDK and identity libraries load only when a container is the target.
    const { openAzureSource } = await import('../storage/source-azure.js');
    const source = openAzureSource(azure, { prefixes: spec.prefixes });
    claims.set(
      source.id,
      spec.lease === false
        ? soloClaims()
        : leaseClaims(source.container, {
            durationSeconds: spec.leaseSeconds,
            onRequest: (kind) => {
              source.stats.requests[kind] = (source.stats.requests[kind] ?? 0) + 1;
            },
          }),
    );
    return {
      sources: [source],
      claims,
      close: async () => {
        await Promise.all([...claims.values()].map((c) => c.close()));
        await source.close();
      },
    };
  }
  const sources = await openFolderSources(spec.target!);
  return { sources, claims, close: async () => {} };
}
