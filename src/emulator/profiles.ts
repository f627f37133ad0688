/**
 * Behaviour profiles: what Azure did in the 2023 public preview (the source article) and what
 * Microsoft documents today. A profile is a table of switches; the emulator and the recorder read
 * the switches and never test the profile's name. docs/profiles.md renders the same table.
 */

export type ProfileName = 'preview-2023' | 'ga';

export interface BehaviourProfile {
  name: ProfileName;
  /** One-line provenance for docs and `--help`. */
  source: string;
  /** IANA protocol numbers that any flow log records; everything else (ICMP…) leaves no trace. */
  recordedProtocols: readonly number[];
  /** Whether traffic to a private endpoint is recorded in VNet flow logs at the source VM's NIC. */
  privateEndpointInVnetFlowLogs: boolean;
  /** Whether traffic to a private endpoint is recorded in NSG flow logs at the source VM's NIC. */
  privateEndpointInNsgFlowLogs: boolean;
  /** `aclID` written for flows dropped by virtual network encryption. */
  encryptionDropAclId: string;
  /** `rule` written for flows dropped by virtual network encryption. */
  encryptionDropRule: string;
  /**
   * UNCONFIRMED which GUID: security admin rule names carry `_<guid>` in real-looking captures
   * (2023 preview, 2024 block-reader doc) and not in later sanitised doc samples. We append the
   * admin rule's GUID when true.
   */
  adminRuleGuidSuffix: boolean;
  /** Interval of `C` (continuing) tuples with delta counters, in minutes: "five-minute intervals". */
  continuingIntervalMinutes: number;
  /** VNet tuple timestamp unit. UNCONFIRMED: real-looking samples use ms, some doc samples s. */
  vnetTupleTimestampUnit: 'ms' | 's';
  /** Creating NSG flow logs is refused from this UTC date (ISO) on; null = no cutoff. */
  nsgFlowLogCreationCutoff: string | null;
  /** NSG flow log resources are deleted (blobs kept) from this UTC date on; null = never. */
  nsgFlowLogRetirement: string | null;
  /** Start of simulated time when the user gives no `--start`: a date the profile describes. */
  defaultStart: string;
}

const ALL_ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export const PROFILES: Readonly<Record<ProfileName, BehaviourProfile>> = {
  'preview-2023': {
    name: 'preview-2023',
    source: 'the 2023-09-01 article (reference/seed-observations.md)',
    recordedProtocols: [6, 17],
    privateEndpointInVnetFlowLogs: false,
    privateEndpointInNsgFlowLogs: false,
    encryptionDropAclId: ALL_ZERO_GUID,
    encryptionDropRule: 'Unspecified',
    adminRuleGuidSuffix: true,
    continuingIntervalMinutes: 5,
    vnetTupleTimestampUnit: 'ms',
    nsgFlowLogCreationCutoff: null,
    nsgFlowLogRetirement: null,
    defaultStart: '2023-09-01T00:00:00Z',
  },
  ga: {
    name: 'ga',
    source: 'Microsoft docs as of 2025-2026 (reference/azure-flowlogs-spec.md)',
    recordedProtocols: [6, 17],
    privateEndpointInVnetFlowLogs: true,
    privateEndpointInNsgFlowLogs: true,
    encryptionDropAclId: 'unspecified',
    encryptionDropRule: 'unspecified',
    adminRuleGuidSuffix: true,
    continuingIntervalMinutes: 5,
    vnetTupleTimestampUnit: 'ms',
    nsgFlowLogCreationCutoff: '2025-06-30T00:00:00Z',
    nsgFlowLogRetirement: '2027-09-30T00:00:00Z',
    defaultStart: '2025-01-06T00:00:00Z',
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** The switches whose values differ between two profiles (used by docs and by the acceptance test). */
export function profileDifferences(a: BehaviourProfile, b: BehaviourProfile): (keyof BehaviourProfile)[] {
  const keys = Object.keys(a) as (keyof BehaviourProfile)[];
  return keys.filter((k) => k !== 'name' && k !== 'source' && JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
