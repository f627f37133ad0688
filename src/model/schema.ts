/**
 * The scenario format: one YAML or JSON document describing an Azure network (topology, NSGs,
 * ASGs, AVNM security admin rules, private endpoints, external hosts), its flow-log
 * configuration, and the traffic to emulate. Validated with zod; `docs/scenario.md` is generated
 * from this file by `src/model/schema-doc.ts`, so every `.describe()` text is user documentation.
 *
 * Conventions:
 * - Resources are referenced by `name`. Names are unique per resource type within a scenario
 *   (checked by `checkScenario`); subnets are referenced as `vnetName/subnetName`.
 * - `subscription`, `resourceGroup` and `location` may be omitted on each resource; they come from
 *   `defaults`. After loading, every resource has them filled in (see `ResolvedScenario`).
 * - Enumerations accept any casing (ARM is case-insensitive) and are normalised to ARM's casing.
 */
import { z } from 'zod';
import { isIpOrCidr, isIpv4, parsePortRange } from './ip.js';

/** Enumeration that accepts any letter case and normalises to the listed spelling. */
function ciEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z.preprocess(
    (v) => (typeof v === 'string' ? (byLower.get(v.toLowerCase()) ?? v) : v),
    z.enum(values),
  );
}

const name = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[A-Za-z0-9_.\-()]+$/, 'names may contain letters, digits, "_", ".", "-", "(" and ")"');

const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'expected a GUID');

const ipv4 = z.string().refine(isIpv4, 'expected an IPv4 address such as 10.0.0.4');
const cidr = z.string().refine(isIpOrCidr, 'expected an IP address or CIDR such as 10.0.0.0/16');
const mac = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}[-:]?){5}[0-9A-Fa-f]{2}$/, 'expected a MAC address such as 00-0D-3A-1B-2C-3D')
  .transform((m) => m.replace(/[-:]/g, '').toUpperCase());
const portSpec = z
  .string()
  .refine((s) => parsePortRange(s) !== null, 'expected "*", a port such as "80" or a range such as "1000-2000"');
/** Port lists accept numbers, `"80"`, `"80,443"`, `"1000-2000"` or a YAML list of those. */
const portList = z
  .union([z.number().int().min(0).max(65535), z.string(), z.array(z.union([z.number().int(), z.string()]))])
  .transform((v, ctx) => {
    const parts = (Array.isArray(v) ? v : [v]).flatMap((p) => String(p).split(',')).map((p) => p.trim());
    for (const p of parts) {
      if (parsePortRange(p) === null) {
        ctx.addIssue({ code: 'custom', message: `invalid port or range "${p}"` });
        return z.NEVER;
      }
    }
    return parts;
  });

/** Durations: seconds as a number, or `"90s"`, `"5m"`, `"1h"`, `"1h30m"`, ISO `"PT5M"`. */
export function parseDurationSeconds(v: unknown): number | null {
  if (typeof v === 'number') return v >= 0 && Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const s = v.trim().replace(/^PT/i, '').toLowerCase();
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index !== consumed) return null;
    consumed += m[0].length;
    const n = +m[1];
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
  }
  return consumed === s.length && consumed > 0 ? total : null;
}
const duration = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const s = parseDurationSeconds(v);
    if (s === null) {
      ctx.addIssue({ code: 'custom', message: `invalid duration "${String(v)}" (use 90, "90s", "5m", "1h")` });
      return z.NEVER;
    }
    return s;
  })
  .describe('seconds, or a string such as "90s", "5m", "1h30m"');

const placement = {
  subscription: z.string().optional().describe('Subscription GUID or name; defaults to `defaults.subscription`.'),
  resourceGroup: z.string().optional().describe('Resource group; defaults to `defaults.resourceGroup`.'),
  location: z.string().optional().describe('Azure region such as `japaneast`; defaults to `defaults.location`.'),
};

// ---------------------------------------------------------------------------------------------
// Topology

export const subscriptionSchema = z
  .object({
    id: guid.describe('Subscription GUID.'),
    name: z.string().optional().describe('Display name; may be used in references instead of the GUID.'),
  })
  .strict();

export const resourceGroupSchema = z
  .object({
    name,
    subscription: placement.subscription,
    location: placement.location,
  })
  .strict();

export const encryptionEnforcementSchema = ciEnum(['AllowUnencrypted', 'DropUnencrypted']);

/** ARM's single `addressPrefix` is accepted and turned into `addressPrefixes`. */
export const subnetSchema = z.preprocess(
  (v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && 'addressPrefix' in v && !('addressPrefixes' in v)) {
      const { addressPrefix, ...rest } = v as Record<string, unknown>;
      return { ...rest, addressPrefixes: [addressPrefix] };
    }
    return v;
  },
  z
    .object({
      name,
      addressPrefixes: z.array(cidr).min(1).describe('Subnet prefixes (ARM `addressPrefix` is accepted too).'),
      nsg: name.optional().describe('Name of the NSG associated with the subnet.'),
      resourceGuid: guid.optional(),
    })
    .strict(),
);

export const peeringSchema = z
  .object({
    name: name.optional(),
    remoteVnet: name.describe('Name of the peered VNet (declare the peering on either side; it is treated as connected both ways).'),
    allowVirtualNetworkAccess: z.boolean().default(true).describe('When false the remote space is not part of the `VirtualNetwork` tag.'),
    allowForwardedTraffic: z.boolean().default(false),
    allowGatewayTransit: z.boolean().default(false),
    useRemoteGateways: z.boolean().default(false),
  })
  .strict();

export const vnetSchema = z
  .object({
    name,
    ...placement,
    resourceGuid: guid.optional().describe('Stable GUID; derived from the resource ID when absent.'),
    addressSpace: z.array(cidr).min(1).describe('Address prefixes of the VNet.'),
    subnets: z.array(subnetSchema).default([]),
    peerings: z.array(peeringSchema).default([]),
    encryption: z
      .object({
        enabled: z.boolean().default(false),
        enforcement: encryptionEnforcementSchema.default('AllowUnencrypted'),
      })
      .strict()
      .optional()
      .describe('Virtual network encryption (`properties.encryption`).'),
    flowTimeoutInMinutes: z.number().int().min(4).max(30).optional(),
  })
  .strict();

export const nicSchema = z
  .object({
    name,
    ...placement,
    resourceGuid: guid.optional(),
    vm: z.string().optional().describe('Name of the VM the NIC is attached to.'),
    vmSize: z.string().optional().describe('VM size such as `Standard_D2s_v5` (used for the encryption capability).'),
    host: z.string().optional().describe('Physical host label; two NICs on the same host get `NX_LOCAL_DST`.'),
    vnet: name,
    subnet: name,
    privateIps: z.array(ipv4).min(1).describe('Private IPv4 addresses; the first is the primary.'),
    mac: mac.optional().describe('MAC address; derived from the NIC ID when absent.'),
    nsg: name.optional().describe('Name of the NSG associated with the NIC.'),
    asgs: z.array(name).default([]).describe('Application security groups the NIC (its IP configurations) belongs to.'),
    acceleratedNetworking: z.boolean().default(false),
    encryptionSupported: z
      .boolean()
      .optional()
      .describe('Whether the VM supports VNet encryption; derived from `vmSize` and accelerated networking when absent.'),
    publicIp: z
      .object({ name: name.optional(), ipAddress: ipv4, resourceGuid: guid.optional() })
      .strict()
      .optional()
      .describe('Public IP address associated with the NIC.'),
  })
  .strict();

export const nsgProtocolSchema = ciEnum(['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*']);
export const directionSchema = ciEnum(['Inbound', 'Outbound']);

/** An NSG security rule with the ARM property names (`properties.*` flattened). */
export const securityRuleSchema = z
  .object({
    name,
    description: z.string().optional(),
    priority: z.number().int().min(100).max(4096).describe('100–4096; unique per direction within the NSG.'),
    direction: directionSchema,
    access: ciEnum(['Allow', 'Deny']),
    protocol: nsgProtocolSchema.describe('`Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` or `*` (any).'),
    sourceAddressPrefix: z.string().optional().describe('IP, CIDR, `*`, or a service tag.'),
    sourceAddressPrefixes: z.array(z.string()).optional(),
    sourceApplicationSecurityGroups: z.array(name).optional().describe('ASG names.'),
    sourcePortRange: portSpec.optional(),
    sourcePortRanges: z.array(portSpec).optional(),
    destinationAddressPrefix: z.string().optional(),
    destinationAddressPrefixes: z.array(z.string()).optional(),
    destinationApplicationSecurityGroups: z.array(name).optional(),
    destinationPortRange: portSpec.optional(),
    destinationPortRanges: z.array(portSpec).optional(),
    resourceGuid: guid.optional(),
  })
  .strict();

export const nsgSchema = z
  .object({
    name,
    ...placement,
    resourceGuid: guid.optional().describe('Stable GUID (what VNet flow logs write as `aclID`); derived when absent.'),
    securityRules: z.array(securityRuleSchema).default([]).describe('User rules. Default rules are implicit.'),
  })
  .strict();

export const asgSchema = z
  .object({
    name,
    ...placement,
    resourceGuid: guid.optional(),
  })
  .strict();

export const adminActionSchema = ciEnum(['Allow', 'AlwaysAllow', 'Deny']);
export const adminProtocolSchema = ciEnum(['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', 'Any']);

/** `{addressPrefix, addressPrefixType}`; a bare string is a prefix if it parses as one, else a tag. */
export const addressItemSchema = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? { addressPrefix: v, addressPrefixType: isIpOrCidr(v) || v === '*' ? 'IPPrefix' : 'ServiceTag' }
      : v,
  z
    .object({
      addressPrefix: z.string().min(1),
      addressPrefixType: ciEnum(['IPPrefix', 'ServiceTag']),
    })
    .strict(),
);

export const adminRuleSchema = z
  .object({
    name,
    description: z.string().optional(),
    resourceGuid: guid.optional().describe('Stable GUID (the `_<guid>` suffix in flow logs); derived when absent.'),
    priority: z.number().int().min(1).max(4096),
    direction: directionSchema,
    access: adminActionSchema.describe('`Allow` (continue to NSGs), `AlwaysAllow` or `Deny` (both final).'),
    protocol: adminProtocolSchema,
    sources: z.array(addressItemSchema).default([]).describe('Empty means any.'),
    destinations: z.array(addressItemSchema).default([]).describe('Empty means any.'),
    sourcePortRanges: z.array(portSpec).default([]).describe('Empty means any.'),
    destinationPortRanges: z.array(portSpec).default([]).describe('Empty means any.'),
  })
  .strict();

export const ruleCollectionSchema = z
  .object({
    name,
    description: z.string().optional(),
    resourceGuid: guid.optional(),
    appliesToGroups: z.array(name).min(1).describe('Network group names (of the same network manager).'),
    rules: z.array(adminRuleSchema).default([]),
  })
  .strict();

export const securityAdminConfigurationSchema = z
  .object({
    name,
    description: z.string().optional(),
    resourceGuid: guid.optional(),
    deployed: z.boolean().default(true).describe('Whether the configuration is committed/deployed (only deployed ones apply).'),
    applyOnNetworkIntentPolicyBasedServices: z.array(ciEnum(['None', 'All', 'AllowRulesOnly'])).optional(),
    ruleCollections: z.array(ruleCollectionSchema).default([]),
  })
  .strict();

export const networkGroupSchema = z
  .object({
    name,
    description: z.string().optional(),
    resourceGuid: guid.optional(),
    members: z.array(name).default([]).describe('Static members: VNet names.'),
  })
  .strict();

export const networkManagerSchema = z
  .object({
    name,
    ...placement,
    resourceGuid: guid.optional(),
    networkGroups: z.array(networkGroupSchema).default([]),
    securityAdminConfigurations: z.array(securityAdminConfigurationSchema).default([]),
  })
  .strict();

export const privateEndpointSchema = z
  .object({
    name,
    ...placement,
    resourceGuid: guid.optional(),
    vnet: name,
    subnet: name,
    ip: ipv4.describe('Private IP of the endpoint.'),
    target: z
      .object({
        resourceId: z.string().describe('ARM ID of the PaaS resource, e.g. a storage account.'),
        groupId: z.string().optional().describe('Sub-resource such as `blob`.'),
      })
      .strict(),
  })
  .strict();

export const externalHostSchema = z
  .object({
    name,
    kind: ciEnum(['internet', 'azurePublic', 'onPremises']).describe(
      '`internet` (public host), `azurePublic` (a Microsoft-owned public IP), `onPremises` (behind a gateway).',
    ),
    addresses: z.array(cidr).min(1).describe('IP addresses or prefixes of the host or site.'),
    via: ciEnum(['vpn', 'expressRoute']).optional().describe('For on-premises: the connection type.'),
    gatewayVnet: name.optional().describe('For on-premises: the VNet holding the gateway.'),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// Service tags

export const serviceTagsSchema = z
  .object({
    files: z
      .array(z.string())
      .default([])
      .describe("Paths (relative to the scenario file) of Microsoft's Service Tags JSON downloads."),
    tags: z
      .array(z.object({ name: z.string().min(1), addressPrefixes: z.array(cidr) }).strict())
      .default([])
      .describe('Inline tags, e.g. `{name: Storage.JapanEast, addressPrefixes: [...]}`.'),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// Flow logs (issue 4)

export const storageAccountSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]{3,24}$/, 'storage account names are 3–24 lowercase letters and digits'),
    ...placement,
  })
  .strict();

export const flowLogSchema = z
  .object({
    name: z.string().min(1).max(80).describe('Flow log resource name, e.g. `myvnet-rg-flowlog`.'),
    scope: ciEnum(['vnet', 'subnet', 'nic', 'nsg']).describe(
      '`vnet`, `subnet`, `nic` (VNet flow logs) or `nsg` (NSG flow logs).',
    ),
    target: z.string().min(1).describe('VNet, NIC or NSG name; for subnets `vnetName/subnetName`.'),
    enabled: z.boolean().default(true),
    storageAccount: z.string().describe('Name of an entry in `storageAccounts`.'),
    subscription: placement.subscription,
    location: z.string().optional().describe("Region; defaults to the target's region."),
    networkWatcher: z
      .object({ name: z.string().optional(), resourceGroup: z.string().default('NetworkWatcherRG') })
      .strict()
      .default({ resourceGroup: 'NetworkWatcherRG' })
      .describe('Defaults: name `NetworkWatcher_<location>`, resource group `NetworkWatcherRG`.'),
    version: z
      .union([z.literal(1), z.literal(2)])
      .default(2)
      .describe('`format.version`: NSG flow log version 1 or 2 (VNet flow logs always write flowLogVersion 4).'),
    enabledFilteringCriteria: z.string().max(1000).optional().describe('VNet flow logs filter string (§1.13).'),
    recordTypes: z
      .string()
      .regex(/^\s*[BCED](\s*,\s*[BCED])*\s*$/i, 'recordTypes is a comma-separated list of B, C, E, D')
      .optional()
      .describe('VNet flow logs flow-state filter, e.g. `B,E,D`.'),
    retentionDays: z.number().int().min(0).optional(),
    trafficAnalytics: z
      .object({
        enabled: z.boolean().default(true),
        intervalMinutes: z.union([z.literal(10), z.literal(60)]).default(60),
        workspaceId: z.string().optional(),
      })
      .strict()
      .optional(),
    createdAt: z.string().datetime({ offset: true }).optional().describe('Creation time (NSG flow log creation is refused after 2025-06-30 under the `ga` profile).'),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// Traffic (issue 4)

export const endpointRefSchema = z
  .string()
  .min(1)
  .describe('A VM name, NIC name, private endpoint name, external host name, or an IP address.');

const perDirection = z
  .union([z.number().nonnegative(), z.object({ forward: z.number().nonnegative(), reverse: z.number().nonnegative() }).strict()])
  .transform((v) => (typeof v === 'number' ? { forward: v, reverse: v } : v));

export const trafficPatternSchema = z
  .object({
    name,
    from: endpointRefSchema,
    to: endpointRefSchema,
    protocol: ciEnum(['tcp', 'udp', 'icmp']),
    ports: portList.default(['*']).describe('Destination ports: 443, "80,443", "8000-8100" or a list.'),
    sourcePorts: portList.optional().describe('Source ports; ephemeral 49152–65535 when absent.'),
    start: duration.default(0).describe('Offset from the emulation start.'),
    duration: duration.optional().describe('How long the pattern runs; until the end when absent.'),
    connectionsPerMinute: z.number().nonnegative().default(1),
    sessionSeconds: duration.default(60).describe('Length of each connection.'),
    packetsPerSecond: perDirection.default({ forward: 10, reverse: 10 }).describe('A number or `{forward, reverse}`.'),
    bytesPerSecond: perDirection.default({ forward: 1000, reverse: 1000 }).describe('A number or `{forward, reverse}`.'),
  })
  .strict();

export const generatorsSchema = z
  .object({
    internetScanners: z
      .object({
        enabled: z.boolean().default(false),
        perMinute: z.number().nonnegative().default(5),
        ports: portList.default(['22', '23', '445', '1433', '3389', '5900']),
        sourcePrefixes: z.array(cidr).default(['198.51.100.0/24', '203.0.113.0/24']),
      })
      .strict()
      .optional()
      .describe('Scanners hitting the public IPs of NICs.'),
    internetWeb: z
      .object({
        enabled: z.boolean().default(false),
        to: z.array(endpointRefSchema).default([]).describe('Targets; all NICs with public IPs when empty.'),
        ports: portList.default(['80', '443']),
        perMinute: z.number().nonnegative().default(10),
        sourcePrefixes: z.array(cidr).default(['192.0.2.0/24']),
      })
      .strict()
      .optional()
      .describe('Allowed inbound web traffic from the internet.'),
    platform: z
      .object({
        enabled: z.boolean().default(false),
        dns: z.boolean().default(true),
        imds: z.boolean().default(true),
        healthProbes: z.boolean().default(true),
        perMinute: z.number().nonnegative().default(2),
      })
      .strict()
      .optional()
      .describe('Platform traffic to/from 168.63.129.16 and 169.254.169.254.'),
    icmpPings: z
      .object({
        enabled: z.boolean().default(false),
        perMinute: z.number().nonnegative().default(1),
        pairs: z.array(z.object({ from: endpointRefSchema, to: endpointRefSchema }).strict()).default([]),
      })
      .strict()
      .optional(),
    encryptionNoise: z
      .object({
        enabled: z.boolean().default(false),
        perMinute: z.number().nonnegative().default(1),
        sourcePrefixes: z.array(cidr).default(['20.38.98.0/24']).describe('Microsoft-owned public sources.'),
      })
      .strict()
      .optional()
      .describe('Azure-internal traffic that hits VNet encryption policy.'),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// The document

export const nsgEvaluationOrderSchema = ciEnum(['documented', 'subnet-first', 'nic-first', 'random']).describe(
  'Order of the subnet NSG and NIC NSG. `documented` (default): inbound subnet→NIC, outbound NIC→subnet. ' +
    '`subnet-first`/`nic-first`: that NSG first in both directions. `random`: chosen per flow from the seed ' +
    '(Azure says the order is platform dependent).',
);

export const scenarioInputSchema = z
  .object({
    version: z.literal(1).default(1).describe('Scenario format version.'),
    name: z.string().optional(),
    description: z.string().optional(),
    defaults: z
      .object({
        subscription: z.string().optional().describe('Subscription GUID or name.'),
        resourceGroup: z.string().optional(),
        location: z.string().optional().describe('Region such as `japaneast`.'),
      })
      .strict()
      .default({})
      .describe('Placement used by resources that omit `subscription`, `resourceGroup` or `location`.'),
    subscriptions: z.array(subscriptionSchema).min(1).describe('Subscriptions the resources live in (at least one).'),
    resourceGroups: z.array(resourceGroupSchema).default([]).describe('Optional list of resource groups (informational).'),
    vnets: z.array(vnetSchema).default([]).describe('Virtual networks with their subnets, peerings and encryption.'),
    nsgs: z.array(nsgSchema).default([]).describe('Network security groups (attached by `subnets[].nsg` and `nics[].nsg`).'),
    asgs: z.array(asgSchema).default([]).describe('Application security groups (membership is `nics[].asgs`).'),
    nics: z.array(nicSchema).default([]).describe('Network interfaces (one per VM unless a VM has several).'),
    networkManagers: z.array(networkManagerSchema).default([]).describe('Azure Virtual Network Manager instances with network groups and security admin configurations.'),
    privateEndpoints: z.array(privateEndpointSchema).default([]).describe('Private endpoints of PaaS resources.'),
    externalHosts: z.array(externalHostSchema).default([]).describe('Hosts outside Azure VNets: internet clients, Microsoft public IPs, on-premises sites.'),
    serviceTags: serviceTagsSchema.default({ files: [], tags: [] }).describe('Where service tag ranges come from.'),
    storageAccounts: z.array(storageAccountSchema).default([]).describe('Storage accounts flow logs write to.'),
    flowLogs: z.array(flowLogSchema).default([]).describe('VNet flow logs (scope vnet/subnet/nic; precedence NIC > subnet > VNet) and NSG flow logs (scope nsg).'),
    traffic: z.array(trafficPatternSchema).default([]).describe('Named traffic patterns the emulator generates.'),
    generators: generatorsSchema.default({}).describe('Background traffic generators.'),
    nsgEvaluationOrder: nsgEvaluationOrderSchema.default('documented'),
    seed: z.number().int().optional().describe('Default random seed for the emulator.'),
    emulator: z.record(z.string(), z.unknown()).optional().describe('Free-form emulator settings.'),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioInputSchema>;
/** A scenario as parsed, before defaults for subscription/resourceGroup/location are applied. */
export type ParsedScenario = z.output<typeof scenarioInputSchema>;

export type Placement = { subscription: string; resourceGroup: string; location: string };
type Placed<T> = Omit<T, 'subscription' | 'resourceGroup' | 'location'> & Placement;

export type Subscription = z.output<typeof subscriptionSchema>;
export type ResourceGroup = z.output<typeof resourceGroupSchema>;
export type Subnet = z.output<typeof subnetSchema>;
export type Peering = z.output<typeof peeringSchema>;
export type Vnet = Placed<z.output<typeof vnetSchema>>;
export type Nic = Placed<z.output<typeof nicSchema>>;
export type SecurityRule = z.output<typeof securityRuleSchema>;
export type Nsg = Placed<z.output<typeof nsgSchema>>;
export type Asg = Placed<z.output<typeof asgSchema>>;
export type AdminRule = z.output<typeof adminRuleSchema>;
export type AddressItem = z.output<typeof addressItemSchema>;
export type RuleCollection = z.output<typeof ruleCollectionSchema>;
export type SecurityAdminConfiguration = z.output<typeof securityAdminConfigurationSchema>;
export type NetworkGroup = z.output<typeof networkGroupSchema>;
export type NetworkManager = Placed<z.output<typeof networkManagerSchema>>;
export type PrivateEndpoint = Placed<z.output<typeof privateEndpointSchema>>;
export type ExternalHost = z.output<typeof externalHostSchema>;
export type ServiceTagsConfig = z.output<typeof serviceTagsSchema>;
export type StorageAccount = Placed<z.output<typeof storageAccountSchema>>;
/** Flow log with `subscription`, `location` and `networkWatcher.name` resolved. */
export type FlowLog = Omit<z.output<typeof flowLogSchema>, 'subscription' | 'location' | 'networkWatcher'> & {
  subscription: string;
  location: string;
  networkWatcher: { name: string; resourceGroup: string };
};
export type TrafficPattern = z.output<typeof trafficPatternSchema>;
export type Generators = z.output<typeof generatorsSchema>;
export type NsgEvaluationOrder = z.output<typeof nsgEvaluationOrderSchema>;
export type Direction = z.output<typeof directionSchema>;
export type NsgProtocol = z.output<typeof nsgProtocolSchema>;
export type AdminAction = z.output<typeof adminActionSchema>;

/**
 * A validated scenario with every resource placed (subscription GUID, resource group, location
 * filled from `defaults`), and checked semantically. This is what the other stages consume.
 */
export interface Scenario
  extends Omit<
    ParsedScenario,
    'vnets' | 'nics' | 'nsgs' | 'asgs' | 'networkManagers' | 'privateEndpoints' | 'storageAccounts' | 'flowLogs'
  > {
  vnets: Vnet[];
  nics: Nic[];
  nsgs: Nsg[];
  asgs: Asg[];
  networkManagers: NetworkManager[];
  privateEndpoints: PrivateEndpoint[];
  storageAccounts: StorageAccount[];
  flowLogs: FlowLog[];
}
