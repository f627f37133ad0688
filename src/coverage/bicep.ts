/**
 * Bicep for the planned VNet flow logs: `Microsoft.Network/networkWatchers/flowLogs` children of
 * the (existing) regional network watcher, with the properties the REST API requires
 * (`targetResourceId`, `storageId`) and the ones the plan carries over (location, enabled, format,
 * retentionPolicy, flowAnalyticsConfiguration when Traffic Analytics is on).
 *
 * A Bicep resource cannot be declared in another resource group than the deployment's, so there is
 * one file per (subscription, network watcher resource group): deploy each with
 * `az deployment group create --subscription S -g RG -f FILE`.
 */
import type { PlannedFlowLog } from './migrate.js';

export interface BicepFile {
  subscription: string;
  resourceGroup: string;
  text: string;
}

const str = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Bicep identifiers: letters, digits, `_`; not starting with a digit. */
export function bicepIdentifier(prefix: string, name: string, taken: Set<string>): string {
  let id = `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  for (let i = 2; taken.has(id); i++) id = `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, '_')}_${i}`;
  taken.add(id);
  return id;
}

/**
 * Traffic Analytics workspace: an ARM ID goes to `workspaceResourceId`, a GUID to `workspaceId`.
 * UNCONFIRMED whether Azure needs all three of workspaceId/Region/ResourceId; the portal sets them all.
 */
function workspaceProps(ws: string | undefined): string[] {
  if (!ws) return [];
  return ws.startsWith('/') ? [`workspaceResourceId: ${str(ws)}`] : [`workspaceId: ${str(ws)}`];
}

function flowLogResource(id: string, parent: string, p: PlannedFlowLog, apiVersion: string): string {
  const lines: string[] = [];
  lines.push(`// ${p.scope} scope; replaces NSG flow logs: ${p.replaces.join(', ') || '-'}`);
  lines.push(`resource ${id} 'Microsoft.Network/networkWatchers/flowLogs@${apiVersion}' = {`);
  lines.push(`  parent: ${parent}`);
  lines.push(`  name: ${str(p.name)}`);
  lines.push(`  location: ${str(p.location)}`);
  lines.push('  properties: {');
  lines.push('    enabled: true');
  lines.push(`    targetResourceId: ${str(p.targetResourceId)}`);
  lines.push(`    storageId: ${str(p.storageId)}`);
  lines.push('    format: {');
  lines.push("      type: 'JSON'");
  lines.push('      version: 2');
  lines.push('    }');
  lines.push('    retentionPolicy: {');
  lines.push(`      days: ${p.retentionDays ?? 0}`);
  lines.push(`      enabled: ${p.retentionDays !== null}`);
  lines.push('    }');
  if (p.trafficAnalytics?.enabled) {
    lines.push('    flowAnalyticsConfiguration: {');
    lines.push('      networkWatcherFlowAnalyticsConfiguration: {');
    lines.push('        enabled: true');
    lines.push(`        trafficAnalyticsInterval: ${p.trafficAnalytics.intervalMinutes}`);
    for (const w of workspaceProps(p.trafficAnalytics.workspaceId)) lines.push(`        ${w}`);
    lines.push('      }');
    lines.push('    }');
  }
  lines.push('  }');
  lines.push('}');
  return lines.join('\n');
}

export function renderBicep(plan: readonly PlannedFlowLog[], apiVersion: string, title: string): BicepFile[] {
  const groups = new Map<string, PlannedFlowLog[]>();
  for (const p of plan) {
    const k = `${p.subscription}\u0000${p.networkWatcher.resourceGroup}`;
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const files: BicepFile[] = [];
  for (const [k, logs] of groups) {
    const [subscription, resourceGroup] = k.split('\u0000');
    const taken = new Set<string>();
    const watchers = new Map<string, string>();
    const out: string[] = [
      `// flowlens migrate: VNet flow logs replacing NSG flow logs (${title}).`,
      `// Deploy: az deployment group create --subscription ${subscription} --resource-group ${resourceGroup} --template-file <this file>`,
      "targetScope = 'resourceGroup'",
      '',
    ];
    for (const p of logs) {
      if (watchers.has(p.networkWatcher.name.toLowerCase())) continue;
      const id = bicepIdentifier('networkWatcher', p.networkWatcher.name, taken);
      watchers.set(p.networkWatcher.name.toLowerCase(), id);
      out.push(
        `resource ${id} 'Microsoft.Network/networkWatchers@${apiVersion}' existing = {`,
        `  name: ${str(p.networkWatcher.name)}`,
        '}',
        '',
      );
    }
    for (const p of logs) {
      out.push(
        flowLogResource(
          bicepIdentifier('flowLog', p.name, taken),
          watchers.get(p.networkWatcher.name.toLowerCase())!,
          p,
          apiVersion,
        ),
        '',
      );
    }
    files.push({ subscription, resourceGroup, text: out.join('\n') });
  }
  return files;
}
