/** traffic-analytics-spec.md §9 Q8 (top talkers per NIC and VM), verbatim: shared by the §9 and hub-spoke tests. */
export const SECTION9_Q8 = `AzureNetworkAnalytics_CL
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
| sort by AllowedOutFlows + DeniedOutFlows + AllowedInFlows + DeniedInFlows desc nulls last`;
