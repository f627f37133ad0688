/**
 * Policy engine options. Each one is a point where Microsoft's documentation leaves the behaviour
 * open (azure-flowlogs-spec §4–5, §8); the defaults are flowlens's documented choices.
 */
import { z } from 'zod';

export const nsgOrderSchema = z.enum(['documented', 'subnet-first', 'nic-first']);
/**
 * `documented`: inbound subnet NSG then NIC NSG, outbound NIC NSG then subnet NSG (§4.4).
 * `subnet-first` / `nic-first`: that NSG first in both directions. Azure's NSG flow-log docs say
 * the real order is "platform dependent"; the decision never depends on it, the logging NSG does.
 */
export type NsgOrder = z.infer<typeof nsgOrderSchema>;

export const compileOptionsSchema = z.object({
  /**
   * Outbound traffic from a NIC to 168.63.129.16 or 169.254.169.254 (DHCP, DNS, IMDS, health) is
   * "not subject to the configured NSGs by default" (§4.8). With `true` such flows are allowed
   * with a `platform` step and no NSG or admin rule. Inbound health probes from 168.63.129.16 are
   * always evaluated (they are what `AllowAzureLoadBalancerInBound` is for).
   */
  platformBypass: z.boolean().default(true),
  /**
   * The `VirtualNetwork` tag "includes the virtual IP address of the host". Including
   * 168.63.129.16 makes probes match `AllowVnetInBound` (65000) before
   * `AllowAzureLoadBalancerInBound` (65001); flowlens leaves it out by default (UNCONFIRMED).
   */
  virtualNetworkTagIncludesHostIp: z.boolean().default(false),
});
export type CompileOptions = z.input<typeof compileOptionsSchema>;
