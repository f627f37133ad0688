/**
 * Effective security rules of a NIC, like Azure's "effective security rules" view: for each
 * evaluation point (AVNM admin rules, subnet NSG, NIC NSG) and direction, the rules in evaluation
 * order with tags and ASGs expanded to the CIDRs the engine actually matches.
 */
import { formatIpv4 } from '../model/index.js';
import type { FlatRanges } from './classifier.js';
import { NIC_STRIDE, type Policy } from './compile.js';
import type { RuleRef } from './rules.js';

export interface EffectiveRule {
  rule: RuleRef;
  protocols: string[];
  sourcePrefixes: string[];
  destinationPrefixes: string[];
  sourcePorts: string[];
  destinationPorts: string[];
}

export interface EffectivePoint {
  stage: 'admin' | 'subnet-nsg' | 'nic-nsg';
  nsg?: string;
  rules: EffectiveRule[];
}

export interface EffectiveRules {
  nic: string;
  inbound: EffectivePoint[];
  outbound: EffectivePoint[];
}

/** Smallest list of CIDRs covering [first, last]. */
export function rangeToCidrs(first: number, last: number): string[] {
  const out: string[] = [];
  let start = first;
  while (start <= last) {
    let size = 32;
    while (size > 0) {
      const block = 2 ** (32 - (size - 1));
      if (start % block !== 0 || start + block - 1 > last) break;
      size--;
    }
    out.push(`${formatIpv4(start)}/${size}`);
    start += 2 ** (32 - size);
  }
  return out;
}

function prefixes(f: FlatRanges): string[] {
  if (f.length === 2 && f[0] === 0 && f[1] === 0xffffffff) return ['0.0.0.0/0'];
  const out: string[] = [];
  for (let i = 0; i < f.length; i += 2) out.push(...rangeToCidrs(f[i], f[i + 1]));
  return out;
}

function ports(f: FlatRanges): string[] {
  const out: string[] = [];
  for (let i = 0; i < f.length; i += 2) out.push(f[i] === f[i + 1] ? String(f[i]) : `${f[i]}-${f[i + 1]}`);
  return out;
}

const PROTOCOL_NAMES = ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', 'Other'];

/** Effective rules of a NIC (by index into `scenario.nics`). */
export function effectiveRules(p: Policy, nic: number): EffectiveRules {
  const base = nic * NIC_STRIDE;
  const t = p.nicTable;
  const point = (stage: EffectivePoint['stage'], cls: number, nsg: number): EffectivePoint | null => {
    if (cls < 0) return null;
    return {
      stage,
      ...(nsg >= 0 ? { nsg: p.scenario.nsgs[nsg].name } : {}),
      rules: p.classifierRules[cls].map((r) => ({
        rule: p.rules[r.ruleId],
        protocols: r.protocolMask === 0b111111 ? ['All'] : PROTOCOL_NAMES.filter((_, i) => r.protocolMask & (1 << i)),
        sourcePrefixes: prefixes(r.srcIp),
        destinationPrefixes: prefixes(r.dstIp),
        sourcePorts: ports(r.srcPort),
        destinationPorts: ports(r.dstPort),
      })),
    };
  };
  const inbound = [point('admin', t[base + 5], -1), point('subnet-nsg', t[base + 3], t[base + 1]), point('nic-nsg', t[base + 4], t[base + 2])];
  const outbound = [point('admin', t[base + 8], -1), point('nic-nsg', t[base + 7], t[base + 2]), point('subnet-nsg', t[base + 6], t[base + 1])];
  return {
    nic: p.scenario.nics[nic].name,
    inbound: inbound.filter((x): x is EffectivePoint => x !== null),
    outbound: outbound.filter((x): x is EffectivePoint => x !== null),
  };
}
