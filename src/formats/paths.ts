/**
 * Blob names of flow-log `PT1H.json` files (azure-flowlogs-spec.md §1.10, §2.4) and MAC formatting.
 *
 * Builders write the form the platform writes. The parser also accepts the documented variants:
 * a full `https://…` URL or a name with or without its container; the VNet "ARM path" form of the
 * manage article's PowerShell/CLI tabs (§1.10 row 3, UNCONFIRMED, accepted for tolerance); the
 * `resoureId=` typo (§2.4); lower- or mixed-case segments; MACs with `-`/`:` separators.
 */
import { FlowLogFormatError } from '../errors.js';

export const VNET_CONTAINER = 'insights-logs-flowlogflowevent';
export const NSG_CONTAINER = 'insights-logs-networksecuritygroupflowevent';
export const BLOB_FILE_NAME = 'PT1H.json';

/**
 * A MAC as Azure writes it in records and blob names: 12 uppercase hex digits, no separators.
 * Accepts `00-22-48-71-c2-05`, `00:22:48:71:C2:05`, `0022.4871.c205` or bare hex.
 */
export function formatMac(mac: string): string {
  const hex = mac.replace(/[-:.\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(hex)) throw new FlowLogFormatError(`invalid MAC address "${mac}"`);
  return hex;
}

/** `00224871C205` → `00:22:48:71:C2:05` (for display). */
export function macWithColons(mac: string): string {
  return formatMac(mac).replace(/(..)(?!$)/g, '$1:');
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** The `y=YYYY/m=MM/d=DD/h=HH/m=00` partition of the UTC hour containing `time`. */
export function hourPartition(time: Date | number): string {
  const d = new Date(typeof time === 'number' ? time : time.getTime());
  if (Number.isNaN(d.getTime())) throw new FlowLogFormatError('invalid time for blob path');
  return (
    `y=${d.getUTCFullYear()}/m=${pad2(d.getUTCMonth() + 1)}/d=${pad2(d.getUTCDate())}` +
    `/h=${pad2(d.getUTCHours())}/m=00`
  );
}

export interface VnetBlobPathParts {
  subscriptionId: string;
  /** Name of the flow-log resource, e.g. `myVNet-myResourceGroup-flowlog`. */
  flowLogName: string;
  /** Network watcher name; defaults to `NetworkWatcher_<region>` (Azure's default name). */
  networkWatcherName?: string;
  region?: string;
  /** Resource group of the network watcher; the portal uses `NetworkWatcherRG`. */
  networkWatcherResourceGroup?: string;
  /** Any instant within the hour the blob covers (Date or epoch ms), interpreted in UTC. */
  time: Date | number;
  macAddress: string;
  /** Prefix the container name (`insights-logs-flowlogflowevent/…`). Default false. */
  withContainer?: boolean;
}

/**
 * The blob name Azure writes for a VNet flow log (§1.10 row 1):
 * `flowLogResourceID=/<SUB>_<WATCHER-RG>/<WATCHER>_<FLOWLOG>/y=…/m=00/macAddress=<MAC>/PT1H.json`,
 * every name upper-cased. Using the watcher *name* (not `NETWORKWATCHER_`+region) is INFERRED; the
 * two agree for default watcher names.
 */
export function buildVnetBlobPath(parts: VnetBlobPathParts): string {
  const watcher = parts.networkWatcherName ?? (parts.region ? `NetworkWatcher_${parts.region}` : undefined);
  if (!watcher) throw new FlowLogFormatError('buildVnetBlobPath needs networkWatcherName or region');
  const rg = parts.networkWatcherResourceGroup ?? 'NetworkWatcherRG';
  const name =
    `flowLogResourceID=/${parts.subscriptionId.toUpperCase()}_${rg.toUpperCase()}` +
    `/${watcher.toUpperCase()}_${parts.flowLogName.toUpperCase()}/${hourPartition(parts.time)}` +
    `/macAddress=${formatMac(parts.macAddress)}/${BLOB_FILE_NAME}`;
  return parts.withContainer ? `${VNET_CONTAINER}/${name}` : name;
}

export type NsgBlobPathParts = (
  | { subscriptionId: string; resourceGroup: string; nsgName: string; resourceId?: undefined }
  | { resourceId: string }
) & { time: Date | number; macAddress: string; withContainer?: boolean };

/** The NSG resource ID as Azure writes it in records and blob names: all upper case. */
export function nsgResourceId(subscriptionId: string, resourceGroup: string, nsgName: string): string {
  return (
    `/SUBSCRIPTIONS/${subscriptionId}/RESOURCEGROUPS/${resourceGroup}` +
    `/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/${nsgName}`
  ).toUpperCase();
}

/**
 * The blob name Azure writes for an NSG flow log (§2.4):
 * `resourceId=/SUBSCRIPTIONS/<SUB>/RESOURCEGROUPS/<RG>/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/<NSG>/y=…/macAddress=<MAC>/PT1H.json`.
 */
export function buildNsgBlobPath(parts: NsgBlobPathParts): string {
  const id =
    parts.resourceId !== undefined
      ? parts.resourceId.toUpperCase()
      : nsgResourceId(parts.subscriptionId, parts.resourceGroup, parts.nsgName);
  const name = `resourceId=${id.startsWith('/') ? id : '/' + id}/${hourPartition(parts.time)}/macAddress=${formatMac(parts.macAddress)}/${BLOB_FILE_NAME}`;
  return parts.withContainer ? `${NSG_CONTAINER}/${name}` : name;
}

export type BlobPathVariant =
  /** `flowLogResourceID=/<SUB>_<RG>/<WATCHER>_<FLOWLOG>/…`: what Azure writes (§1.10 row 1/2). */
  | 'vnet'
  /** `flowLogResourceID=/SUBSCRIPTIONS/<SUB>/RESOURCEGROUPS/…/FLOWLOGS/<NAME>/…` (§1.10 row 3). */
  | 'vnet-arm'
  | 'nsg';

export interface ParsedBlobPath {
  kind: 'vnet' | 'nsg';
  variant: BlobPathVariant;
  /** The container if the input named one (or a URL), else null. */
  container: string | null;
  /** The blob name within its container, `flowLogResourceID=…/PT1H.json` or `resourceId=…/PT1H.json`. */
  blobName: string;
  /** The text between `=` and `/y=`, verbatim. */
  resourceSegment: string;
  subscriptionId: string;
  /** VNet: the network watcher's resource group. NSG: the NSG's resource group. */
  resourceGroup: string;
  /** VNet only. */
  networkWatcherName: string | null;
  /** VNet only. */
  flowLogName: string | null;
  /** NSG only. */
  nsgName: string | null;
  year: number;
  month: number;
  day: number;
  hour: number;
  /** Start of the blob's UTC hour, epoch ms. */
  hourStartMs: number;
  /** Normalised: 12 uppercase hex digits. */
  macAddress: string;
}

const TAIL_RE =
  /^(.*)\/y=(\d{4})\/m=(\d{1,2})\/d=(\d{1,2})\/h=(\d{1,2})\/m=\d{1,2}\/macAddress=([0-9A-Fa-f:-]{12,17})\/PT1H\.json$/i;
const ARM_VNET_RE =
  /^\/?SUBSCRIPTIONS\/([^/]+)\/RESOURCEGROUPS\/([^/]+)\/PROVIDERS\/MICROSOFT\.NETWORK\/NETWORKWATCHERS\/([^/]+)\/FLOWLOGS\/([^/]+)$/i;
const ARM_NSG_RE =
  /^\/?SUBSCRIPTIONS\/([^/]+)\/RESOURCEGROUPS\/([^/]+)\/PROVIDERS\/MICROSOFT\.NETWORK\/NETWORKSECURITYGROUPS\/([^/]+)$/i;

/**
 * Splits `NETWORKWATCHER_EASTUS_MYFLOWLOG` into watcher and flow-log names. With a default
 * watcher name (`NetworkWatcher_<region>`, regions have no `_`) the split is exact; otherwise we
 * split at the first `_` (UNCONFIRMED: both names may contain `_`; `resourceSegment` keeps the
 * raw text).
 */
function splitWatcherAndFlowLog(segment: string): { watcher: string; flowLog: string } | null {
  const m = /^(NETWORKWATCHER_[^_]+)_(.+)$/i.exec(segment);
  if (m) return { watcher: m[1], flowLog: m[2] };
  const i = segment.indexOf('_');
  if (i <= 0 || i === segment.length - 1) return null;
  return { watcher: segment.slice(0, i), flowLog: segment.slice(i + 1) };
}

/**
 * Parses a flow-log blob name, a `container/blobName` path or a full blob URL. Returns null for
 * anything that is not a flow-log `PT1H.json` path (so listings can be filtered with it).
 */
export function parseBlobPath(input: string): ParsedBlobPath | null {
  let path = input.trim();
  const url = /^https?:\/\/[^/]+\/(.*)$/i.exec(path);
  if (url) path = url[1];
  try {
    path = decodeURIComponent(path);
  } catch {
    // Not URI-encoded text with a stray `%`; use it as it is.
  }
  let container: string | null = null;
  const eq = path.search(/(flowLogResourceID|resourceId|resoureId)=/i);
  if (eq < 0) return null;
  if (eq > 0) {
    container = path.slice(0, eq).replace(/\/+$/, '');
    if (container.includes('/')) return null;
  }
  const blobName = path.slice(eq);
  const tail = TAIL_RE.exec(blobName);
  if (!tail) return null;
  const [, head, y, mo, d, h, mac] = tail;
  const eqIndex = head.indexOf('=');
  const key = head.slice(0, eqIndex).toLowerCase();
  const resourceSegment = head.slice(eqIndex + 1);
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23) return null;
  let macAddress: string;
  try {
    macAddress = formatMac(mac);
  } catch {
    return null;
  }
  const common = {
    container,
    blobName,
    resourceSegment,
    year,
    month,
    day,
    hour,
    hourStartMs: Date.UTC(year, month - 1, day, hour),
    macAddress,
  };
  if (key === 'flowlogresourceid') {
    const arm = ARM_VNET_RE.exec(resourceSegment);
    if (arm) {
      return {
        ...common,
        kind: 'vnet',
        variant: 'vnet-arm',
        subscriptionId: arm[1],
        resourceGroup: arm[2],
        networkWatcherName: arm[3],
        flowLogName: arm[4],
        nsgName: null,
      };
    }
    const m = /^\/?([^/_]+)_([^/]+)\/([^/]+)$/.exec(resourceSegment);
    if (!m) return null;
    const split = splitWatcherAndFlowLog(m[3]);
    if (!split) return null;
    return {
      ...common,
      kind: 'vnet',
      variant: 'vnet',
      subscriptionId: m[1],
      resourceGroup: m[2],
      networkWatcherName: split.watcher,
      flowLogName: split.flowLog,
      nsgName: null,
    };
  }
  const nsg = ARM_NSG_RE.exec(resourceSegment);
  if (!nsg) return null;
  return {
    ...common,
    kind: 'nsg',
    variant: 'nsg',
    subscriptionId: nsg[1],
    resourceGroup: nsg[2],
    networkWatcherName: null,
    flowLogName: null,
    nsgName: nsg[3],
  };
}

/** Splits an AVNM admin rule name `Name_<GUID>` (§1.6); other names come back with `guid: null`. */
export function splitRuleName(rule: string): { name: string; guid: string | null } {
  const m = /^(.+)_([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/.exec(rule);
  return m ? { name: m[1], guid: m[2] } : { name: rule, guid: null };
}
