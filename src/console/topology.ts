/**
 * The graph the Topology view draws: VNets (compound nodes), subnets, VMs/NICs, private
 * endpoints and peerings from a loaded scenario, plus every endpoint the data names, with
 * traffic volume on the edges (queried in queries.ts).
 */
import type { ConsoleBackend } from './backend.js';
import { subnetEdges, vmEdges, vmSubnets, type EdgeLevel, type TimeRange } from './queries.js';

/** Topology as the console needs it; names use the `NTANetAnalytics` forms. */
export interface ConsoleTopology {
  /** `<RG>/<VNet>` */
  vnets: { id: string; region?: string; addressPrefixes?: string[] }[];
  /** `<RG>/<VNet>/<Subnet>` */
  subnets: { id: string; prefix?: string }[];
  /** `<RG>/<VM>` (or the NIC when no VM), placed in a subnet. */
  vms: { id: string; subnet: string; ips?: string[]; nic?: string }[];
  /** VNet ids. */
  peerings: { a: string; b: string }[];
  privateEndpoints: { id: string; subnet: string; ip?: string; target?: string }[];
  /** Every rule that could be hit, so the Rules view can list rules with no hits. */
  rules: { aclGroup: string; rule: string; kind: 'nsg' | 'avnm' }[];
}

export interface GraphNode {
  id: string;
  label: string;
  kind: 'vnet' | 'subnet' | 'vm' | 'private-endpoint';
  parent?: string;
  detail?: string;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: 'traffic' | 'peering';
  flows: number;
  bytes: number;
  denied: number;
}

export interface Graph {
  level: EdgeLevel;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * A rule name without the `_<GUID>` suffix the `ga` profile appends to AVNM admin rules, so a
 * rule seen in the data matches its name in the scenario.
 */
export function baseRuleName(rule: string): string {
  return rule.replace(/_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, '');
}

export function emptyTopology(): ConsoleTopology {
  return { vnets: [], subnets: [], vms: [], peerings: [], privateEndpoints: [], rules: [] };
}

const vnetOfSubnet = (subnet: string) => subnet.split('/').slice(0, -1).join('/');
const lastPart = (id: string) => id.split('/').pop() ?? id;

export async function buildGraph(
  backend: ConsoleBackend,
  topology: ConsoleTopology,
  range: TimeRange,
  level: EdgeLevel,
): Promise<Graph> {
  const nodes = new Map<string, GraphNode>();
  const addVnet = (id: string) => {
    if (!nodes.has(id)) nodes.set(id, { id, label: lastPart(id), kind: 'vnet' });
  };
  const addSubnet = (id: string, prefix?: string) => {
    const vnet = vnetOfSubnet(id);
    if (vnet) addVnet(vnet);
    if (!nodes.has(id)) nodes.set(id, { id, label: lastPart(id), kind: 'subnet', parent: vnet || undefined, detail: prefix });
  };
  for (const v of topology.vnets) addVnet(v.id);
  for (const s of topology.subnets) addSubnet(s.id, s.prefix);
  for (const pe of topology.privateEndpoints) {
    addSubnet(pe.subnet);
    nodes.set(`pe:${pe.id}`, { id: `pe:${pe.id}`, label: lastPart(pe.id), kind: 'private-endpoint', parent: pe.subnet, detail: pe.target });
  }

  const edges: GraphEdge[] = topology.peerings.map((p) => ({
    id: `peering:${p.a}|${p.b}`,
    source: p.a,
    target: p.b,
    kind: 'peering',
    flows: 0,
    bytes: 0,
    denied: 0,
  }));
  for (const p of topology.peerings) {
    addVnet(p.a);
    addVnet(p.b);
  }

  if (level === 'vm') {
    const placedVms = new Map(topology.vms.map((vm) => [vm.id, vm.subnet]));
    for (const seen of await vmSubnets(backend, range)) if (!placedVms.has(seen.vm)) placedVms.set(seen.vm, seen.subnet);
    for (const [vm, subnet] of placedVms) {
      addSubnet(subnet);
      nodes.set(vm, { id: vm, label: lastPart(vm), kind: 'vm', parent: subnet });
    }
    for (const e of await vmEdges(backend, range)) {
      for (const end of [e.src, e.dest]) if (!nodes.has(end)) nodes.set(end, { id: end, label: lastPart(end), kind: 'vm' });
      edges.push({ id: `traffic:${e.src}|${e.dest}`, source: e.src, target: e.dest, kind: 'traffic', flows: e.flows, bytes: e.bytes, denied: e.denied });
    }
  } else {
    for (const e of await subnetEdges(backend, range)) {
      addSubnet(e.src);
      addSubnet(e.dest);
      edges.push({ id: `traffic:${e.src}|${e.dest}`, source: e.src, target: e.dest, kind: 'traffic', flows: e.flows, bytes: e.bytes, denied: e.denied });
    }
  }
  return { level, nodes: [...nodes.values()], edges };
}
