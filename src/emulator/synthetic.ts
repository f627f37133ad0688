/**
 * `--synthetic-nics N`: a large hub-and-spoke network for scale tests. Spokes of 50 NICs (25 web,
 * 25 app) peer with a hub; each spoke has a VNet flow log and web/app NSGs; the hub's shared NSG
 * has an NSG flow log. Traffic per NIC is a realistic mix: inbound web from the internet, outbound
 * HTTPS, web→app calls, long-lived database sessions (C tuples), DNS to the platform, scanners.
 * About 20 tuples per NIC per minute, so 1,000 NICs give ≥ 1M tuples per hour.
 */
import { validateScenario, type Scenario } from '../model/index.js';

const SUBSCRIPTION = '3c1b5e2a-7d4f-4e8a-9b6c-0d2e4f6a8b0c';
const PER_SPOKE = 50;

export function syntheticScenario(nics: number, seed = 1): Scenario {
  const spokes = Math.max(1, Math.ceil(nics / PER_SPOKE));
  if (spokes > 250 * 250) throw new Error('too many synthetic NICs');
  const vnets: unknown[] = [
    { name: 'vnet-hub', addressSpace: ['10.0.0.0/16'], subnets: [{ name: 'snet-shared', addressPrefix: '10.0.0.0/24', nsg: 'nsg-hub' }], peerings: [] as unknown[] },
  ];
  const nsgs: unknown[] = [
    {
      name: 'nsg-hub',
      securityRules: [
        { name: 'allow-dns', priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Udp', sourceAddressPrefix: 'VirtualNetwork', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '53' },
      ],
    },
  ];
  const nicList: unknown[] = [{ name: 'hub-dns-nic', vm: 'hub-dns', vnet: 'vnet-hub', subnet: 'snet-shared', privateIps: ['10.0.0.4'] }];
  const flowLogs: unknown[] = [
    { name: 'fl-vnet-hub', scope: 'vnet', target: 'vnet-hub', storageAccount: 'stsynthetic' },
    { name: 'fl-nsg-hub', scope: 'nsg', target: 'nsg-hub', storageAccount: 'stsynthetic', version: 2, createdAt: '2024-01-01T00:00:00Z' },
  ];
  const traffic: unknown[] = [];
  let made = 0;
  for (let s = 0; s < spokes && made < nics; s++) {
    const a = 1 + Math.floor(s / 250);
    const b = s % 250;
    const prefix = `10.${a + 100}.${b}`;
    // Each spoke is a /24: web .0/25, app .128/25.
    const vnet = `vnet-spoke-${s}`;
    (vnets[0] as { peerings: unknown[] }).peerings.push({ remoteVnet: vnet });
    vnets.push({
      name: vnet,
      addressSpace: [`${prefix}.0/24`],
      subnets: [
        { name: 'snet-web', addressPrefix: `${prefix}.0/25`, nsg: `nsg-web-${s}` },
        { name: 'snet-app', addressPrefix: `${prefix}.128/25`, nsg: `nsg-app-${s}` },
      ],
    });
    nsgs.push({
      name: `nsg-web-${s}`,
      securityRules: [
        { name: 'allow-https-in', priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRanges: ['80', '443'] },
      ],
    });
    nsgs.push({
      name: `nsg-app-${s}`,
      securityRules: [
        { name: 'allow-app-from-web', priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: `${prefix}.0/25`, sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRanges: ['8080', '5432'] },
        { name: 'deny-internet-out', priority: 4000, direction: 'Outbound', access: 'Deny', protocol: '*', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: 'Internet', destinationPortRange: '*' },
      ],
    });
    flowLogs.push({ name: `fl-${vnet}`, scope: 'vnet', target: vnet, storageAccount: 'stsynthetic' });
    const pairs = Math.min(PER_SPOKE / 2, Math.ceil((nics - made) / 2));
    for (let i = 0; i < pairs && made < nics; i++) {
      const web = `s${s}-web${i}`;
      const app = `s${s}-app${i}`;
      nicList.push({
        name: `${web}-nic`,
        vm: web,
        vnet,
        subnet: 'snet-web',
        privateIps: [`${prefix}.${4 + i}`],
        publicIp: { ipAddress: `20.${100 + a}.${b}.${4 + i}` },
        vmSize: 'Standard_D2s_v5',
        acceleratedNetworking: true,
      });
      made++;
      traffic.push(
        { name: `${web}-out`, from: web, to: 'internet-apis', protocol: 'tcp', ports: 443, connectionsPerMinute: 3, sessionSeconds: 8 },
        { name: `${web}-call`, from: web, to: app, protocol: 'tcp', ports: 8080, connectionsPerMinute: 2, sessionSeconds: 20 },
      );
      if (made >= nics) break;
      nicList.push({ name: `${app}-nic`, vm: app, vnet, subnet: 'snet-app', privateIps: [`${prefix}.${132 + i}`], vmSize: 'Standard_E4s_v5', acceleratedNetworking: true });
      made++;
      traffic.push(
        { name: `${app}-db`, from: app, to: app === `s${s}-app0` ? `s${s}-app1` : `s${s}-app0`, protocol: 'tcp', ports: 5432, connectionsPerMinute: 0.2, sessionSeconds: 900 },
        { name: `${app}-dns`, from: app, to: 'hub-dns', protocol: 'udp', ports: 53, connectionsPerMinute: 3, sessionSeconds: 1 },
        { name: `${app}-egress`, from: app, to: 'internet-apis', protocol: 'tcp', ports: 443, connectionsPerMinute: 1, sessionSeconds: 2 },
      );
    }
  }
  const input = {
    version: 1,
    name: `synthetic-${nics}`,
    seed,
    defaults: { subscription: SUBSCRIPTION, resourceGroup: 'rg-synthetic', location: 'westeurope' },
    subscriptions: [{ id: SUBSCRIPTION, name: 'synthetic' }],
    storageAccounts: [{ name: 'stsynthetic' }],
    vnets,
    nsgs,
    nics: nicList,
    externalHosts: [{ name: 'internet-apis', kind: 'internet', addresses: ['13.107.21.0/24', '52.239.184.0/24', '104.16.218.0/24'] }],
    flowLogs,
    traffic,
    generators: {
      internetWeb: { enabled: true, perMinute: 4, ports: ['443'], sourcePrefixes: ['192.0.2.0/24', '198.51.100.0/24'] },
      internetScanners: { enabled: true, perMinute: 1 },
      platform: { enabled: true, perMinute: 1, dns: true, imds: false, healthProbes: false },
    },
  };
  return validateScenario(input).scenario;
}
