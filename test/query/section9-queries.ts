/**
 * The KQL examples of traffic-analytics-spec.md §9, verbatim: the §9 test runs them on hand-made
 * rows, the hub-spoke test on emulated data; each compares with its own hand-written SQL.
 */
export const SECTION9_KQL = {
  Q1: `NTANetAnalytics
| where SubType == 'FlowLog' and FaSchemaVersion == '3' and TimeGenerated > ago(30d)
| where isnotempty(SrcSubnet) and isnotempty(DestSubnet)
| summarize TotalBytes=sum(BytesSrcToDest + BytesDestToSrc) by SrcSubnet, DestSubnet,L4Protocol,DestPort`,
  Q2: `NTANetAnalytics
| where TimeGenerated > ago(30d)
| project SrcRegion, DestRegion, BytesDestToSrc, BytesSrcToDest
| where isnotempty(SrcRegion) and isnotempty(DestRegion)
| summarize TransferredBytes=sum(BytesDestToSrc+BytesSrcToDest) by SrcRegion, DestRegion`,
  Q4: `NTANetAnalytics
| where SubType == 'FlowLog' and TimeGenerated > ago(30d)
| where isnotnull(SrcExpressRouteCircuit) or isnotnull(DestExpressRouteCircuit)
| extend TargetResourceName = tostring(split(TargetResourceId, "/")[2])
| summarize TotalBytes=sum(BytesSrcToDest + BytesDestToSrc) by TargetResourceName, bin(TimeGenerated, 1d)
| render columnchart`,
  Q5: `NTAIpDetails
| where TimeGenerated > ago(30d)
| where FlowType == "MaliciousFlow"
| summarize count() by ThreatType
| render piechart`,
  Q6: `let startTime = ago(1d); let endTime = now();
AzureNetworkAnalytics_CL
| where SubType_s == "FlowLog" and TimeGenerated between (startTime .. endTime)
| extend sourceIPs = iif(isempty(SrcIP_s), split(SrcPublicIPs_s," "), pack_array(SrcIP_s)),
destIPs = iif(isempty(DestIP_s), split(DestPublicIPs_s," "), pack_array(DestIP_s))
| mvexpand SourceIp = sourceIPs to typeof(string)
| mvexpand DestIp = destIPs to typeof(string)
| project SourceIp = tostring(split(SourceIp, "|")[0]), DestIp = tostring(split(DestIp, "|")[0]), NSGList_s, NSGRule_s, DestPort_d, L4Protocol_s, FlowStatus_s 
| summarize DestPorts= makeset(DestPort_d) by SourceIp, DestIp, NSGList_s, NSGRule_s, L4Protocol_s, FlowStatus_s`,
  Q8: `AzureNetworkAnalytics_CL
| where SubType_s == 'StatusMessage' and ComponentType_s == 'Topology' and Status_s == 'Completed'
| project Subscription_g, DiscoveryRegion_s, TimeProcessed_t
| where isnotempty(Subscription_g) and isnotempty(DiscoveryRegion_s) and isnotempty(TimeProcessed_t)
| summarize arg_max(TimeProcessed_t, *) by Subscription_g
| project Subscription_g, DiscoveryRegion_s, TimeProcessed_t
| join kind = inner
(
    AzureNetworkAnalytics_CL
    | where SubType_s == 'Topology' and ResourceType == 'NetworkInterface'
)
on Subscription_g,DiscoveryRegion_s, TimeProcessed_t
| project Subscription_g, Name_s, VMName = VirtualMachine_s
| join kind = leftouter
(
    AzureNetworkAnalytics_CL
    | where SubType_s == 'FlowLog' and not(isempty(NIC1_s))
    | summarize AllowedOutFlows = sum(AllowedOutFlows_d), DeniedOutFlows = sum(DeniedOutFlows_d) by Subscription_g = Subscription1_g, Name_s = NIC1_s
)
on Subscription_g, Name_s 
| project-away Subscription_g1, Name_s1
| join kind = leftouter
(
    AzureNetworkAnalytics_CL
    | where SubType_s == 'FlowLog' and not(isempty(NIC2_s))
    | summarize AllowedInFlows = sum(AllowedInFlows_d), DeniedInFlows = sum(DeniedInFlows_d) by Subscription_g = Subscription2_g, Name_s = NIC2_s
) on Subscription_g, Name_s
| project-away Subscription_g1, Name_s1
| extend NICRGandName = split(Name_s, '/'), VMRGandName = split(VMName, '/')
| extend NICResourceId = strcat('/subscriptions/', Subscription_g, '/resourceGroups/', NICRGandName[0], '/providers/Microsoft.Network/networkInterfaces/', NICRGandName[1]), 
            VMResourceId = strcat('/subscriptions/', Subscription_g, '/resourceGroups/', VMRGandName[0], '/providers/Microsoft.Compute/virtualMachines/', VMRGandName[1])
| project NICResourceId, VMResourceId, AllowedOutFlows, DeniedOutFlows, AllowedInFlows, DeniedInFlows
| sort by AllowedOutFlows + DeniedOutFlows + AllowedInFlows + DeniedInFlows desc nulls last`,
  Q11: `// Allowed inbound malicious flows
AzureNetworkAnalytics_CL
| where FlowType_s == "MaliciousFlow" and AllowedInFlows_d >= 1
| project TimeGenerated, FlowType = FlowType_s, IpAddress = SrcIP_s, DestinationIpAddress = DestIP_s, DestinationPort = DestPort_d, Protocol = L7Protocol_s, NSGRuleMatched = NSGRules_s, InboundFlowCount = AllowedInFlows_d`,
} as const;
