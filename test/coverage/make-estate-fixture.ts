/**
 * Writes test/coverage/testdata/estate-30nsg/: a hand-designed 30-NSG estate as the Azure CLI prints
 * it (`az network vnet list -o json`, `az network nsg list`, `az network nic list`,
 * `az storage account list`, `az network watcher flow-log list`): flattened objects with `type`,
 * `id`, `resourceGroup`, references as `{ "id": … }`. Deterministic: same output every run.
 *
 *   npx tsx test/coverage/make-estate-fixture.ts
 *
 * The estate (japaneast, one subscription):
 * - vnet-hub 10.0.0.0/16: snet-shared (nsg-hub-shared), snet-mgmt (nsg-hub-mgmt); 2 NICs each.
 * - four spokes peered to the hub, 10.1-4.0.0/16, subnets web/app/data each with its NSG, two NICs
 *   per subnet; the first NIC of every subnet also has a NIC NSG.
 *   2 + 12 subnet NSGs + 2 + 12 NIC NSGs + 2 unattached NSGs = 30 NSGs.
 * - NSG flow logs (version 2) on most NSGs, as estates grow: spoke1 fully logged (→ one VNet-scope
 *   flow log), spoke2 misses its data subnet NSG (→ subnet scope), spoke3 logs only NIC NSGs
 *   (→ NIC scope), spoke4 already has a VNet flow log. Two storage accounts, retention 30/90/0,
 *   Traffic Analytics on some.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SUB = '2b7c9f10-3d4e-4a5b-8c6d-7e8f90a1b2c3';
const LOC = 'japaneast';
const RG_NET = 'rg-network';
const RG_WATCH = 'NetworkWatcherRG';
const OUT = join(import.meta.dirname, 'testdata/estate-30nsg');

function guid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
function mac(seed: string): string {
  const h = createHash('sha1').update(`mac:${seed}`).digest('hex').toUpperCase();
  return ['00', '0D', '3A', h.slice(0, 2), h.slice(2, 4), h.slice(4, 6)].join('-');
}
const netId = (rg: string, type: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/${type}/${name}`;

interface NsgSpec {
  name: string;
  rules: {
    name: string;
    priority: number;
    direction: 'Inbound' | 'Outbound';
    access: 'Allow' | 'Deny';
    protocol: string;
    source: string;
    ports: string[];
  }[];
  subnets: string[];
  nics: string[];
}

const vnets: unknown[] = [];
const nics: unknown[] = [];
const nsgs = new Map<string, NsgSpec>();

function nsg(name: string, rules: NsgSpec['rules']): NsgSpec {
  let n = nsgs.get(name);
  if (!n) nsgs.set(name, (n = { name, rules, subnets: [], nics: [] }));
  return n;
}

const tierRules: Record<string, NsgSpec['rules']> = {
  web: [
    {
      name: 'allow-https',
      priority: 100,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source: 'Internet',
      ports: ['443'],
    },
    {
      name: 'allow-http-vnet',
      priority: 110,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source: 'VirtualNetwork',
      ports: ['80'],
    },
  ],
  app: [
    {
      name: 'allow-app',
      priority: 100,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source: 'VirtualNetwork',
      ports: ['8080', '8443'],
    },
    {
      name: 'deny-ssh',
      priority: 200,
      direction: 'Inbound',
      access: 'Deny',
      protocol: 'Tcp',
      source: '*',
      ports: ['22'],
    },
  ],
  data: [
    {
      name: 'allow-sql',
      priority: 100,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source: 'VirtualNetwork',
      ports: ['1433'],
    },
    {
      name: 'allow-dns-udp',
      priority: 110,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Udp',
      source: 'VirtualNetwork',
      ports: ['53'],
    },
  ],
  shared: [
    {
      name: 'allow-dns',
      priority: 100,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Udp',
      source: 'VirtualNetwork',
      ports: ['53'],
    },
  ],
  mgmt: [
    {
      name: 'allow-rdp-mgmt',
      priority: 100,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source: '10.0.0.0/16',
      ports: ['3389'],
    },
  ],
  nic: [
    {
      name: 'allow-monitoring',
      priority: 300,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source: '10.0.1.0/24',
      ports: ['9100'],
    },
  ],
};

function addVnet(name: string, octet: number, subnets: { name: string; tier: string }[], peerWith: string[]) {
  const vid = netId(RG_NET, 'virtualNetworks', name);
  const subnetObjs = subnets.map((s, i) => {
    const sid = `${vid}/subnets/${s.name}`;
    const subnetNsg = nsg(`nsg-${name.replace('vnet-', '')}-${s.tier}`, tierRules[s.tier]);
    subnetNsg.subnets.push(sid);
    const prefix = `10.${octet}.${i + 1}.0/24`;
    for (let k = 0; k < 2; k++) {
      const nicName = `nic-${name.replace('vnet-', '')}-${s.tier}-${k + 1}`;
      const nicIdText = netId(RG_NET, 'networkInterfaces', nicName);
      let nicNsg: NsgSpec | undefined;
      if (k === 0) {
        nicNsg = nsg(`nsg-${nicName}`, tierRules.nic);
        nicNsg.nics.push(nicIdText);
      }
      nics.push({
        dnsSettings: { appliedDnsServers: [], dnsServers: [] },
        enableAcceleratedNetworking: true,
        enableIPForwarding: false,
        id: nicIdText,
        ipConfigurations: [
          {
            id: `${nicIdText}/ipConfigurations/ipconfig1`,
            name: 'ipconfig1',
            primary: true,
            privateIPAddress: `10.${octet}.${i + 1}.${4 + k}`,
            privateIPAddressVersion: 'IPv4',
            privateIPAllocationMethod: 'Dynamic',
            provisioningState: 'Succeeded',
            resourceGroup: RG_NET,
            subnet: { id: sid, resourceGroup: RG_NET },
            type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
          },
        ],
        location: LOC,
        macAddress: mac(nicIdText),
        name: nicName,
        networkSecurityGroup: nicNsg
          ? { id: netId(RG_NET, 'networkSecurityGroups', nicNsg.name), resourceGroup: RG_NET }
          : undefined,
        primary: true,
        provisioningState: 'Succeeded',
        resourceGroup: RG_NET,
        resourceGuid: guid(nicIdText),
        type: 'Microsoft.Network/networkInterfaces',
        virtualMachine: {
          id: `/subscriptions/${SUB}/resourceGroups/${RG_NET}/providers/Microsoft.Compute/virtualMachines/vm-${nicName.slice(4)}`,
          resourceGroup: RG_NET,
        },
      });
    }
    return {
      addressPrefix: prefix,
      delegations: [],
      id: sid,
      name: s.name,
      networkSecurityGroup: {
        id: netId(RG_NET, 'networkSecurityGroups', subnetNsg.name),
        resourceGroup: RG_NET,
      },
      privateEndpointNetworkPolicies: 'Disabled',
      privateLinkServiceNetworkPolicies: 'Enabled',
      provisioningState: 'Succeeded',
      resourceGroup: RG_NET,
      type: 'Microsoft.Network/virtualNetworks/subnets',
    };
  });
  vnets.push({
    addressSpace: { addressPrefixes: [`10.${octet}.0.0/16`] },
    enableDdosProtection: false,
    id: vid,
    location: LOC,
    name,
    provisioningState: 'Succeeded',
    resourceGroup: RG_NET,
    resourceGuid: guid(vid),
    subnets: subnetObjs,
    type: 'Microsoft.Network/virtualNetworks',
    virtualNetworkPeerings: peerWith.map((remote) => ({
      allowForwardedTraffic: false,
      allowGatewayTransit: false,
      allowVirtualNetworkAccess: true,
      id: `${vid}/virtualNetworkPeerings/${name}-to-${remote}`,
      name: `${name}-to-${remote}`,
      peeringState: 'Connected',
      provisioningState: 'Succeeded',
      remoteAddressSpace: { addressPrefixes: [] },
      remoteVirtualNetwork: { id: netId(RG_NET, 'virtualNetworks', remote), resourceGroup: RG_NET },
      resourceGroup: RG_NET,
      type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
      useRemoteGateways: false,
    })),
  });
}

const tiers = [
  { name: 'snet-web', tier: 'web' },
  { name: 'snet-app', tier: 'app' },
  { name: 'snet-data', tier: 'data' },
];
addVnet(
  'vnet-hub',
  0,
  [
    { name: 'snet-shared', tier: 'shared' },
    { name: 'snet-mgmt', tier: 'mgmt' },
  ],
  [],
);
for (let i = 1; i <= 4; i++) addVnet(`vnet-spoke${i}`, i, tiers, ['vnet-hub']);
// Two NSGs nobody attached (estates have those).
nsg('nsg-legacy-dmz', [
  {
    name: 'allow-any-https',
    priority: 100,
    direction: 'Inbound',
    access: 'Allow',
    protocol: 'Tcp',
    source: '*',
    ports: ['443'],
  },
]);
nsg('nsg-unused-test', []);

const nsgObjs = [...nsgs.values()].map((n) => {
  const id = netId(RG_NET, 'networkSecurityGroups', n.name);
  return {
    defaultSecurityRules: [],
    id,
    location: LOC,
    name: n.name,
    networkInterfaces: n.nics.map((x) => ({ id: x, resourceGroup: RG_NET })),
    provisioningState: 'Succeeded',
    resourceGroup: RG_NET,
    resourceGuid: guid(id),
    securityRules: n.rules.map((r) => ({
      access: r.access,
      destinationAddressPrefix: '*',
      destinationAddressPrefixes: [],
      destinationPortRange: r.ports.length === 1 ? r.ports[0] : undefined,
      destinationPortRanges: r.ports.length === 1 ? [] : r.ports,
      direction: r.direction,
      id: `${id}/securityRules/${r.name}`,
      name: r.name,
      priority: r.priority,
      protocol: r.protocol,
      provisioningState: 'Succeeded',
      resourceGroup: RG_NET,
      sourceAddressPrefix: r.source,
      sourceAddressPrefixes: [],
      sourcePortRange: '*',
      sourcePortRanges: [],
      type: 'Microsoft.Network/networkSecurityGroups/securityRules',
    })),
    subnets: n.subnets.map((x) => ({ id: x, resourceGroup: RG_NET })),
    type: 'Microsoft.Network/networkSecurityGroups',
  };
});
if (nsgObjs.length !== 30) throw new Error(`expected 30 NSGs, made ${nsgObjs.length}`);

const storage = ['stflowlogsjpe01', 'stflowlogsjpe02'].map((name) => ({
  accessTier: 'Hot',
  id: `/subscriptions/${SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Storage/storageAccounts/${name}`,
  kind: 'StorageV2',
  location: LOC,
  name,
  provisioningState: 'Succeeded',
  resourceGroup: 'rg-monitoring',
  sku: { name: 'Standard_LRS', tier: 'Standard' },
  type: 'Microsoft.Storage/storageAccounts',
}));
const workspace = `/subscriptions/${SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-network`;

/** Which NSGs have NSG flow logs: see the header comment. */
function logged(name: string): boolean {
  if (name === 'nsg-legacy-dmz' || name === 'nsg-unused-test') return false;
  if (name.startsWith('nsg-spoke2-data')) return false; // the missed subnet NSG
  if (name.startsWith('nsg-spoke3-') && !name.startsWith('nsg-nic-')) return false; // spoke3: only NIC NSGs logged
  if (name.startsWith('nsg-nic-spoke3-web')) return false;
  return true;
}

const flowLogs: unknown[] = [];
let k = 0;
for (const n of nsgObjs) {
  if (!logged(n.name)) continue;
  k++;
  const name = `${n.name}-${RG_NET}-flowlog`;
  const ta = k % 3 === 0;
  flowLogs.push({
    enabled: true,
    flowAnalyticsConfiguration: {
      networkWatcherFlowAnalyticsConfiguration: ta
        ? {
            enabled: true,
            trafficAnalyticsInterval: k % 2 === 0 ? 10 : 60,
            workspaceId: guid('law-network'),
            workspaceRegion: LOC,
            workspaceResourceId: workspace,
          }
        : { enabled: false },
    },
    format: { type: 'JSON', version: 2 },
    id: `/subscriptions/${SUB}/resourceGroups/${RG_WATCH}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_${LOC}/flowLogs/${name}`,
    location: LOC,
    name,
    provisioningState: 'Succeeded',
    resourceGroup: RG_WATCH,
    retentionPolicy: { days: k % 5 === 0 ? 0 : k % 2 === 0 ? 90 : 30, enabled: true },
    storageId: storage[n.name.includes('spoke2') ? 1 : 0].id,
    targetResourceGuid: n.resourceGuid,
    targetResourceId: n.id,
    type: 'Microsoft.Network/networkWatchers/flowLogs',
  });
}
// spoke4 already has a VNet flow log.
const spoke4 = netId(RG_NET, 'virtualNetworks', 'vnet-spoke4');
flowLogs.push({
  enabled: true,
  flowAnalyticsConfiguration: { networkWatcherFlowAnalyticsConfiguration: { enabled: false } },
  format: { type: 'JSON', version: 2 },
  id: `/subscriptions/${SUB}/resourceGroups/${RG_WATCH}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_${LOC}/flowLogs/vnet-spoke4-${RG_NET}-flowlog`,
  location: LOC,
  name: `vnet-spoke4-${RG_NET}-flowlog`,
  provisioningState: 'Succeeded',
  resourceGroup: RG_WATCH,
  retentionPolicy: { days: 30, enabled: true },
  storageId: storage[0].id,
  targetResourceGuid: guid(spoke4),
  targetResourceId: spoke4,
  type: 'Microsoft.Network/networkWatchers/flowLogs',
});

mkdirSync(OUT, { recursive: true });
const write = (file: string, data: unknown) =>
  writeFileSync(join(OUT, file), JSON.stringify(data, null, 2) + '\n');
write('vnets.json', vnets);
write('nsgs.json', nsgObjs);
write('nics.json', nics);
write('storage-accounts.json', storage);
write('flow-logs.json', flowLogs);
console.log(
  `${OUT}: ${vnets.length} VNets, ${nsgObjs.length} NSGs, ${nics.length} NICs, ${flowLogs.length} flow logs`,
);
