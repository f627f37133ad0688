/**
 * Rule identities as flow logs and `flowlens verify` show them, and the six default NSG rules.
 */
import type { AdminAction, Direction } from '../model/index.js';

export type RuleKind = 'user' | 'default' | 'admin';

/**
 * One rule, with everything a flow-log writer needs: the name as flow logs write it, the
 * container (NSG or AVNM security admin configuration) and the GUIDs used for `aclID`.
 */
export interface RuleRef {
  /** Index into `Policy.rules`. */
  index: number;
  kind: RuleKind;
  /** ARM name of the rule (`allow-rdp`, `DenyAllInBound`, the admin rule name). */
  name: string;
  /**
   * Name as flow logs write it: `UserRule_<name>`, `DefaultRule_<name>`, or the admin rule name
   * (Azure appends `_<guid>` for admin rules in real captures; the emulator adds `ruleGuid`).
   */
  flowLogName: string;
  priority: number;
  direction: Direction;
  access: AdminAction;
  /** ARM resource ID of the rule. */
  resourceId: string;
  /** The rule's own GUID (admin rules: the `_<guid>` suffix). */
  ruleGuid: string;
  /**
   * GUID a VNet flow log writes as `aclID` for this rule: the NSG's `resourceGuid`, or for admin
   * rules the security admin configuration's `resourceGuid` (UNCONFIRMED which GUID Azure uses).
   */
  aclId: string;
  /** NSG rules: the NSG. */
  nsg?: { name: string; index: number; resourceId: string; resourceGuid: string };
  /** Admin rules: where the rule lives. */
  admin?: {
    networkManager: string;
    configuration: string;
    configurationId: string;
    configurationGuid: string;
    ruleCollection: string;
    networkGroups: string[];
  };
}

export interface DefaultRuleSpec {
  name: string;
  priority: number;
  direction: Direction;
  access: 'Allow' | 'Deny';
  source: string;
  destination: string;
}

/** The six default rules with their ARM names and priorities (azure-flowlogs-spec §4.2). */
export const DEFAULT_RULES: readonly DefaultRuleSpec[] = [
  { name: 'AllowVnetInBound', priority: 65000, direction: 'Inbound', access: 'Allow', source: 'VirtualNetwork', destination: 'VirtualNetwork' },
  { name: 'AllowAzureLoadBalancerInBound', priority: 65001, direction: 'Inbound', access: 'Allow', source: 'AzureLoadBalancer', destination: '*' },
  { name: 'DenyAllInBound', priority: 65500, direction: 'Inbound', access: 'Deny', source: '*', destination: '*' },
  { name: 'AllowVnetOutBound', priority: 65000, direction: 'Outbound', access: 'Allow', source: 'VirtualNetwork', destination: 'VirtualNetwork' },
  { name: 'AllowInternetOutBound', priority: 65001, direction: 'Outbound', access: 'Allow', source: '*', destination: 'Internet' },
  { name: 'DenyAllOutBound', priority: 65500, direction: 'Outbound', access: 'Deny', source: '*', destination: '*' },
];

export const userRuleFlowLogName = (name: string) => `UserRule_${name}`;
export const defaultRuleFlowLogName = (name: string) => `DefaultRule_${name}`;
