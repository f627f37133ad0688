/**
 * What the emulator needs from the rule engine for one flow at one NIC in one direction. The
 * policy adapter (policy-judge.ts) answers it with `src/policy`; tests may answer it directly.
 */
import type { EmuNic } from './network.js';

export interface FlowKey {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** IANA protocol number. */
  protocol: number;
}

export interface SideVerdict {
  allowed: boolean;
  /** Who decided: an AVNM admin rule (Deny/AlwaysAllow), the NSGs, or nothing matched at all. */
  decidedBy: 'avnm' | 'nsg' | 'none';
  /** The `aclID` a VNet flow log records the flow under (the last evaluated rule's ACL). */
  aclId: string;
  /** The `rule` a VNet flow log records (NSG rules as `UserRule_x`/`DefaultRule_x`, admin rules by name). */
  rule: string;
  /**
   * The NSG whose flow log records the flow (the deny-er, or the last NSG that allowed) and the
   * rule as NSG flow logs name it; null when an admin rule decided or no NSG was on the path.
   */
  nsgLogger: { nsgName: string; rule: string } | null;
  /** Human-readable evaluation chain, for `recordersFor` explanations. */
  chain: string[];
}

/** Verdicts at the source NIC (outbound) and, when the flow gets there, the destination NIC (inbound). */
export interface FlowJudgement {
  out: SideVerdict | null;
  in: SideVerdict | null;
}

/** `rand` gives a seeded number in [0,1) for `nsgEvaluationOrder: random`. */
export type Judge = ((flow: FlowKey, srcNic: EmuNic | null, dstNic: EmuNic | null, rand: () => number) => FlowJudgement) & {
  /**
   * True when every address in [lo, hi] (IPv4 numbers) gets the same judgement for an endpoint
   * that is not a NIC, all else equal: no rule boundary, NIC address or platform address inside.
   * Lets the emulator judge a prefix once instead of every drawn address. Absent: never assumed.
   */
  uniformRange?: (lo: number, hi: number) => boolean;
  /**
   * A class number for a destination port: ports of one class get the same judgement, all else
   * equal (no rule's port range starts or ends between them). Absent: every port is its own class.
   */
  portClass?: (port: number) => number;
};
