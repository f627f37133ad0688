/**
 * The VNet flow log `enabledFilteringCriteria` grammar (spec §1.13): `Field=v1,v2 && Field!=v3 || …`.
 * Comma-separated values, case-insensitive, `=` / `!=`, `&&` binds tighter than `||`, no brackets,
 * at most 1000 characters. Fields: SrcIP, DstIP (addresses or CIDRs), SrcPort, DstPort (ports or
 * ranges), Protocol (TCP, UDP or a number), Encryption (tuple values plus NX_ALL), Direction
 * (Inbound/Outbound), Action (Allow/Deny) and FlowState (B, C, E, D).
 *
 * UNCONFIRMED: the literal key for flow state inside the string; we accept `FlowState` and `State`
 * (the separate `recordTypes` property is the documented way and is applied as well).
 */
import { ScenarioError } from '../errors.js';

export interface FilterSubject {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  direction: 'I' | 'O';
  allowed: boolean;
  encryption: string;
  /** The tuple's state; undefined when asking about a flow as a whole (then state terms match). */
  state?: 'B' | 'C' | 'E' | 'D';
}

export type FlowFilter = (s: FilterSubject) => boolean;

type Term = (s: FilterSubject) => boolean;

const FIELD_ALIASES: Record<string, string> = {
  srcip: 'srcip',
  sourceip: 'srcip',
  dstip: 'dstip',
  destinationip: 'dstip',
  srcport: 'srcport',
  sourceport: 'srcport',
  dstport: 'dstport',
  destinationport: 'dstport',
  protocol: 'protocol',
  encryption: 'encryption',
  direction: 'direction',
  action: 'action',
  actions: 'action',
  flowstate: 'state',
  state: 'state',
};

export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function ipMatcher(value: string, where: string): (ip: string) => boolean {
  const [addr, bitsText] = value.split('/');
  const base = ipv4ToNumber(addr);
  if (base === undefined) {
    // IPv6 or anything else: compare case-insensitively as written (prefix match for a CIDR).
    const lower = addr.toLowerCase();
    return bitsText === undefined ? (ip) => ip.toLowerCase() === lower : (ip) => ip.toLowerCase().startsWith(lower.replace(/::$/, ''));
  }
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new ScenarioError(`bad CIDR "${value}"`, { path: where });
  const size = 2 ** (32 - bits);
  const start = Math.floor(base / size) * size;
  return (ip) => {
    const n = ipv4ToNumber(ip);
    return n !== undefined && n >= start && n < start + size;
  };
}

function portMatcher(value: string, where: string): (port: number) => boolean {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!m) throw new ScenarioError(`bad port or range "${value}"`, { path: where });
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return (p) => p >= lo && p <= hi;
}

function valueMatcher(field: string, value: string, where: string): Term {
  const v = value.trim();
  const up = v.toUpperCase();
  switch (field) {
    case 'srcip': {
      const m = ipMatcher(v, where);
      return (s) => m(s.srcIp);
    }
    case 'dstip': {
      const m = ipMatcher(v, where);
      return (s) => m(s.dstIp);
    }
    case 'srcport': {
      const m = portMatcher(v, where);
      return (s) => m(s.srcPort);
    }
    case 'dstport': {
      const m = portMatcher(v, where);
      return (s) => m(s.dstPort);
    }
    case 'protocol': {
      const n = up === 'TCP' ? 6 : up === 'UDP' ? 17 : Number(v);
      if (!Number.isInteger(n)) throw new ScenarioError(`bad protocol "${v}" (TCP, UDP or a number)`, { path: where });
      return (s) => s.protocol === n;
    }
    case 'encryption':
      if (up === 'NX_ALL') return (s) => s.encryption.startsWith('NX');
      return (s) => s.encryption === up;
    case 'direction': {
      const d = up.startsWith('IN') || up === 'I' ? 'I' : up.startsWith('OUT') || up === 'O' ? 'O' : undefined;
      if (!d) throw new ScenarioError(`bad direction "${v}" (Inbound or Outbound)`, { path: where });
      return (s) => s.direction === d;
    }
    case 'action': {
      const allow = up.startsWith('ALLOW') || up === 'A' ? true : up.startsWith('DENY') || up === 'D' ? false : undefined;
      if (allow === undefined) throw new ScenarioError(`bad action "${v}" (Allow or Deny)`, { path: where });
      return (s) => s.allowed === allow;
    }
    case 'state':
      if (!['B', 'C', 'E', 'D'].includes(up)) throw new ScenarioError(`bad flow state "${v}" (B, C, E or D)`, { path: where });
      return (s) => s.state === undefined || s.state === up;
    default:
      throw new ScenarioError(`unknown filter field "${field}"`, { path: where });
  }
}

/** Compiles a filter string; empty or undefined means "log everything". Errors name the path given. */
export function compileFilter(text: string | undefined, where = 'enabledFilteringCriteria'): FlowFilter {
  if (text === undefined || text.trim() === '') return () => true;
  if (text.length > 1000) throw new ScenarioError('filter is longer than 1000 characters', { path: where });
  if (/[()]/.test(text)) throw new ScenarioError('brackets are not supported in flow log filters', { path: where });
  const orGroups = text.split('||').map((group) =>
    group.split('&&').map((cond): Term => {
      const m = /^\s*([A-Za-z]+)\s*(!=|=)\s*(.+?)\s*$/.exec(cond);
      if (!m) throw new ScenarioError(`cannot read condition "${cond.trim()}" (expected Field=value or Field!=value)`, { path: where });
      const field = FIELD_ALIASES[m[1].toLowerCase()];
      if (!field) throw new ScenarioError(`unknown filter field "${m[1]}"`, { path: where });
      const alternatives = m[3].split(',').filter((x) => x.trim() !== '').map((v) => valueMatcher(field, v, where));
      if (alternatives.length === 0) throw new ScenarioError(`no value in condition "${cond.trim()}"`, { path: where });
      const any: Term = (s) => alternatives.some((t) => t(s));
      // A state term under `!=` must still let "the flow as a whole" (state undefined) through.
      if (m[2] === '=') return any;
      return field === 'state' ? (s) => s.state === undefined || !any(s) : (s) => !any(s);
    }),
  );
  return (s) => orGroups.some((ands) => ands.every((t) => t(s)));
}

/** `recordTypes` ("B,C,E,D" subset); undefined or empty means all four. */
export function compileRecordTypes(text: string | readonly string[] | undefined, where = 'recordTypes'): ReadonlySet<string> {
  const all = new Set(['B', 'C', 'E', 'D']);
  if (text === undefined) return all;
  const items = (typeof text === 'string' ? text.split(',') : [...text]).map((x) => x.trim().toUpperCase()).filter(Boolean);
  if (items.length === 0) return all;
  for (const x of items) if (!all.has(x)) throw new ScenarioError(`bad record type "${x}" (B, C, E or D)`, { path: where });
  return new Set(items);
}
