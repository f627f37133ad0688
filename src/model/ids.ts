/**
 * ARM-like resource IDs and the stable identifiers derived from them. IDs use ARM's casing
 * (`/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/…`); comparisons of IDs must be
 * case-insensitive, as in Azure.
 */
import { createHash } from 'node:crypto';
import type { FlowLog, Placement } from './schema.js';

function rgPrefix(p: Pick<Placement, 'subscription' | 'resourceGroup'>): string {
  return `/subscriptions/${p.subscription}/resourceGroups/${p.resourceGroup}`;
}

export function networkResourceId(p: Pick<Placement, 'subscription' | 'resourceGroup'>, type: string, name: string): string {
  return `${rgPrefix(p)}/providers/Microsoft.Network/${type}/${name}`;
}

export const vnetId = (v: Placement & { name: string }) => networkResourceId(v, 'virtualNetworks', v.name);
export const subnetId = (v: Placement & { name: string }, subnet: string) => `${vnetId(v)}/subnets/${subnet}`;
export const nicId = (n: Placement & { name: string }) => networkResourceId(n, 'networkInterfaces', n.name);
export const nsgId = (n: Placement & { name: string }) => networkResourceId(n, 'networkSecurityGroups', n.name);
export const securityRuleId = (n: Placement & { name: string }, rule: string) => `${nsgId(n)}/securityRules/${rule}`;
export const defaultSecurityRuleId = (n: Placement & { name: string }, rule: string) =>
  `${nsgId(n)}/defaultSecurityRules/${rule}`;
export const asgId = (a: Placement & { name: string }) => networkResourceId(a, 'applicationSecurityGroups', a.name);
export const privateEndpointId = (p: Placement & { name: string }) => networkResourceId(p, 'privateEndpoints', p.name);
export const publicIpId = (p: Pick<Placement, 'subscription' | 'resourceGroup'>, name: string) =>
  networkResourceId(p, 'publicIPAddresses', name);
export const networkManagerId = (m: Placement & { name: string }) => networkResourceId(m, 'networkManagers', m.name);
export const networkGroupId = (m: Placement & { name: string }, group: string) =>
  `${networkManagerId(m)}/networkGroups/${group}`;
export const securityAdminConfigurationId = (m: Placement & { name: string }, config: string) =>
  `${networkManagerId(m)}/securityAdminConfigurations/${config}`;
export const ruleCollectionId = (m: Placement & { name: string }, config: string, collection: string) =>
  `${securityAdminConfigurationId(m, config)}/ruleCollections/${collection}`;
export const adminRuleId = (m: Placement & { name: string }, config: string, collection: string, rule: string) =>
  `${ruleCollectionId(m, config, collection)}/rules/${rule}`;
export const storageAccountId = (s: Placement & { name: string }) =>
  `${rgPrefix(s)}/providers/Microsoft.Storage/storageAccounts/${s.name}`;
export const networkWatcherId = (subscription: string, resourceGroup: string, watcher: string) =>
  `${rgPrefix({ subscription, resourceGroup })}/providers/Microsoft.Network/networkWatchers/${watcher}`;
export const flowLogId = (f: Pick<FlowLog, 'subscription' | 'networkWatcher' | 'name'>) =>
  `${networkWatcherId(f.subscription, f.networkWatcher.resourceGroup, f.networkWatcher.name)}/flowLogs/${f.name}`;

/** Default Network Watcher name for a region, as Azure creates it. */
export const defaultNetworkWatcherName = (location: string) => `NetworkWatcher_${location}`;

/**
 * A GUID derived from a resource ID (SHA-1 of the lower-cased ID, laid out as an RFC 4122
 * version-5-style UUID). Stable across runs, so emulated `aclID`s do not change between runs.
 */
export function stableGuid(resourceId: string): string {
  const h = createHash('sha1').update(resourceId.toLowerCase()).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A MAC under Microsoft's `00-0D-3A` prefix (what Azure NICs carry), derived from the NIC ID. */
export function stableMac(resourceId: string): string {
  const h = createHash('sha1').update(`mac:${resourceId.toLowerCase()}`).digest('hex').toUpperCase();
  return `000D3A${h.slice(0, 6)}`;
}

/** Parsed ARM resource ID: subscription, resource group, and the `type/name` pairs after the provider. */
export interface ParsedResourceId {
  subscription: string;
  resourceGroup: string;
  provider: string;
  /** e.g. `[['virtualNetworks','hub'],['subnets','web']]` */
  segments: [string, string][];
}

export function parseResourceId(id: string): ParsedResourceId | null {
  const parts = id.split('/').filter((p) => p !== '');
  const lower = parts.map((p) => p.toLowerCase());
  const si = lower.indexOf('subscriptions');
  const ri = lower.indexOf('resourcegroups');
  const pi = lower.indexOf('providers');
  if (si < 0 || ri < 0 || pi < 0 || pi + 1 >= parts.length) return null;
  const segments: [string, string][] = [];
  for (let i = pi + 2; i + 1 < parts.length; i += 2) segments.push([parts[i], parts[i + 1]]);
  return { subscription: parts[si + 1], resourceGroup: parts[ri + 1], provider: parts[pi + 1], segments };
}

/** Last name segment of a resource ID. */
export function resourceName(id: string): string {
  const parts = id.split('/').filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}
