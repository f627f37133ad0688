/**
 * The tables KQL can name, with Kusto types. Column lists follow traffic-analytics-spec.md (§2.1
 * NTANetAnalytics 2026 superset, §3 NTAIpDetails, §6.2 AzureNetworkAnalytics_CL) plus our raw
 * FlowTuples table. The store's table definition module is the source of truth once it lands;
 * `schemaFromTables` adapts any list of {name, columns:[{name,type}]} to this shape.
 */

export type KustoType = 'bool' | 'int' | 'long' | 'real' | 'decimal' | 'string' | 'datetime' | 'timespan' | 'dynamic' | 'guid';

export interface KqlColumn {
  name: string;
  type: KustoType;
}

export interface KqlTable {
  name: string;
  columns: KqlColumn[];
}

export interface KqlSchema {
  tables: KqlTable[];
}

function cols(spec: string): KqlColumn[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, type] = s.split(':');
      return { name: name.trim(), type: type.trim() as KustoType };
    });
}

const ntaTopologySides = ['Subscription', 'Region', 'Nic', 'Vm', 'Subnet', 'ApplicationGateway', 'LoadBalancer', 'LocalNetworkGateway', 'ExpressRouteCircuit', 'PublicIps', 'ServiceTags', 'ServiceId', 'ServiceName', 'TenantId', 'TenantName', 'Cloud', 'Environment', 'NetworkGroups']
  .flatMap((c) => [`Src${c}:string`, `Dest${c}:string`])
  .join(',');

export const NTANetAnalytics: KqlTable = {
  name: 'NTANetAnalytics',
  columns: cols(
    'TimeGenerated:datetime, TimeProcessed:datetime, SubType:string, Status:string, FaSchemaVersion:string, ' +
      'FlowIntervalStartTime:datetime, FlowIntervalEndTime:datetime, FlowStartTime:datetime, FlowEndTime:datetime, ' +
      'FlowType:string, SrcIp:string, DestIp:string, SrcPorts:string, DestPort:int, L4Protocol:string, L7Protocol:string, ' +
      'FlowDirection:string, FlowStatus:string, AclGroup:string, AclRule:string, NsgList:string, NsgRule:string, NsgRuleType:string, ' +
      'MacAddress:string, TargetResourceId:string, TargetResourceType:string, FlowLogResourceId:string, LogResourceId:string, ' +
      'TrafficAnalyticsResourceId:string, ' +
      ntaTopologySides +
      ', ExpressRouteCircuitPeeringType:string, ConnectionType:string, ConnectionName:string, ConnectingVnets:string, ' +
      'Country:string, AzureRegion:string, AllowedInFlows:long, DeniedInFlows:long, AllowedOutFlows:long, DeniedOutFlows:long, ' +
      'CompletedFlows:long, PacketsSrcToDest:long, PacketsDestToSrc:long, BytesSrcToDest:long, BytesDestToSrc:long, RecordCount:long, ' +
      'FlowEncryption:string, PrivateEndpointResourceId:string, PrivateLinkResourceId:string, PrivateLinkResourceName:string, ' +
      'IsFlowCapturedAtUdrHop:bool, Action:string, Description:string, SourceSystem:string, TenantId:string, Type:string',
  ),
};

export const NTAIpDetails: KqlTable = {
  name: 'NTAIpDetails',
  columns: cols(
    'TimeGenerated:datetime, SubType:string, FaSchemaVersion:string, FlowIntervalStartTime:datetime, FlowIntervalEndTime:datetime, ' +
      'FlowType:string, Ip:string, Location:string, PublicIpDetails:string, ThreatType:string, ThreatDescription:string, ' +
      'DnsDomain:string, Url:string, Port:int, SourceSystem:string, TenantId:string, Type:string',
  ),
};

export const AzureNetworkAnalytics_CL: KqlTable = {
  name: 'AzureNetworkAnalytics_CL',
  columns: cols(
    'TimeGenerated:datetime, SubType_s:string, FASchemaVersion_s:string, TimeProcessed_t:datetime, FlowIntervalStartTime_t:datetime, ' +
      'FlowIntervalEndTime_t:datetime, FlowStartTime_t:datetime, FlowEndTime_t:datetime, FlowType_s:string, SrcIP_s:string, DestIP_s:string, ' +
      'VMIP_s:string, DestPort_d:real, L4Protocol_s:string, L7Protocol_s:string, FlowDirection_s:string, FlowStatus_s:string, ' +
      'NSGList_s:string, NSGRules_s:string, NSGRule_s:string, NSGRuleType_s:string, MACAddress_s:string, Subscription_g:string, ' +
      'Subscription1_g:string, Subscription2_g:string, Region_s:string, Region1_s:string, Region2_s:string, NIC_s:string, NIC1_s:string, ' +
      'NIC2_s:string, VM_s:string, VM1_s:string, VM2_s:string, Subnet_s:string, Subnet1_s:string, Subnet2_s:string, ' +
      'ApplicationGateway1_s:string, ApplicationGateway2_s:string, LoadBalancer1_s:string, LoadBalancer2_s:string, ' +
      'LocalNetworkGateway1_s:string, LocalNetworkGateway2_s:string, ExpressRouteCircuit1_s:string, ExpressRouteCircuit2_s:string, ' +
      'ExpressRouteCircuitPeeringType_s:string, ConnectionType_s:string, ConnectionName_s:string, ConnectingVNets_s:string, ' +
      'Country_s:string, AzureRegion_s:string, AllowedInFlows_d:real, DeniedInFlows_d:real, AllowedOutFlows_d:real, DeniedOutFlows_d:real, ' +
      'FlowCount_d:real, InboundPackets_d:real, OutboundPackets_d:real, InboundBytes_d:real, OutboundBytes_d:real, CompletedFlows_d:real, ' +
      'PublicIPs_s:string, SrcPublicIPs_s:string, DestPublicIPs_s:string, IsFlowCapturedAtUDRHop_b:bool, ' +
      // Topology and StatusMessage sub-types share the table (spec §6.1).
      'ResourceType:string, Name_s:string, DiscoveryRegion_s:string, IsFlowEnabled_b:bool, FlowLogStorageAccount_s:string, ' +
      'VirtualMachine_s:string, PrivateIPAddresses_s:string, PublicIPAddresses_s:string, ComponentType_s:string, Status_s:string, ' +
      'SourceSystem:string, TenantId:string, Type:string',
  ),
};

/** Raw tuples as the store keeps them (one row per flow tuple, with lineage). */
export const FlowTuples: KqlTable = {
  name: 'FlowTuples',
  columns: cols(
    'time:datetime, version:int, mac:string, flow_log_id:string, target_resource_id:string, acl_id:string, rule:string, ' +
      'src_ip:string, dst_ip:string, src_port:int, dst_port:int, protocol:int, direction:string, state:string, decision:string, ' +
      'encryption:string, packets_s2d:long, bytes_s2d:long, packets_d2s:long, bytes_d2s:long, blob:string, block:string',
  ),
};

export const defaultSchema: KqlSchema = { tables: [NTANetAnalytics, NTAIpDetails, AzureNetworkAnalytics_CL, FlowTuples] };

export function findTable(schema: KqlSchema, name: string): KqlTable | undefined {
  return schema.tables.find((t) => t.name === name);
}
