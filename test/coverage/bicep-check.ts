/**
 * A structural checker for the Bicep subset `flowlens migrate` writes (the real Bicep compiler is
 * not on this machine): `targetScope`, `resource sym 'Type@api' [existing] = { … }` with nested
 * objects of `key: value` lines (strings, numbers, booleans, symbol references). It parses the
 * text independently of the generator and reports every problem as a string.
 */

export type BicepValue = string | number | boolean | { ref: string } | BicepObject;
export interface BicepObject {
  [key: string]: BicepValue;
}

export interface BicepResource {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  body: BicepObject;
}

function parseScalar(text: string, line: number): BicepValue {
  if (/^'(?:[^'\\]|\\.)*'$/.test(text)) return text.slice(1, -1).replace(/\\(.)/g, '$1');
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^[A-Za-z_]\w*$/.test(text)) return { ref: text };
  throw new Error(`line ${line}: cannot parse value ${text}`);
}

export function parseBicep(text: string): { targetScope: string | null; resources: BicepResource[] } {
  const lines = text.split('\n');
  const resources: BicepResource[] = [];
  let targetScope: string | null = null;
  let i = 0;
  const parseObject = (): BicepObject => {
    const obj: BicepObject = {};
    for (; i < lines.length; i++) {
      const l = lines[i].trim();
      if (l === '' || l.startsWith('//')) continue;
      if (l === '}') return obj;
      const m = /^([A-Za-z_]\w*):\s*(.*)$/.exec(l);
      if (!m) throw new Error(`line ${i + 1}: expected "key: value", got ${l}`);
      if (m[1] in obj) throw new Error(`line ${i + 1}: duplicate key ${m[1]}`);
      if (m[2] === '{') {
        i++;
        obj[m[1]] = parseObject();
      } else obj[m[1]] = parseScalar(m[2], i + 1);
    }
    throw new Error('unbalanced braces: missing }');
  };
  for (; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '' || l.startsWith('//')) continue;
    const scope = /^targetScope = '(\w+)'$/.exec(l);
    if (scope) {
      targetScope = scope[1];
      continue;
    }
    const r = /^resource ([A-Za-z_]\w*) '([^'@]+)@([^']+)'( existing)? = \{$/.exec(l);
    if (!r) throw new Error(`line ${i + 1}: unexpected ${l}`);
    i++;
    const body = parseObject();
    resources.push({ symbol: r[1], type: r[2], apiVersion: r[3], existing: r[4] !== undefined, body });
  }
  return { targetScope, resources };
}

const get = (o: BicepObject, path: string): BicepValue | undefined =>
  path
    .split('.')
    .reduce<BicepValue | undefined>(
      (v, k) => (v && typeof v === 'object' && !('ref' in v) ? (v as BicepObject)[k] : undefined),
      o,
    );

/**
 * Problems with the file: resource types, API versions, required properties, and references (parent
 * symbols declared; `targetResourceId` / `storageId` among `knownIds`, compared case-insensitively).
 */
export function checkFlowLogBicep(
  text: string,
  knownIds: { targets: readonly string[]; storage: readonly string[] },
): { problems: string[]; resources: BicepResource[] } {
  const problems: string[] = [];
  let parsed: ReturnType<typeof parseBicep>;
  try {
    parsed = parseBicep(text);
  } catch (err) {
    return { problems: [(err as Error).message], resources: [] };
  }
  const { resources } = parsed;
  if (parsed.targetScope !== 'resourceGroup')
    problems.push(`targetScope is ${parsed.targetScope}, expected resourceGroup`);
  const symbols = new Map<string, BicepResource>();
  for (const r of resources) {
    if (symbols.has(r.symbol)) problems.push(`duplicate symbol ${r.symbol}`);
    symbols.set(r.symbol, r);
  }
  const targets = new Set(knownIds.targets.map((t) => t.toLowerCase()));
  const storage = new Set(knownIds.storage.map((t) => t.toLowerCase()));
  const names = new Set<string>();
  for (const r of resources) {
    const where = `${r.symbol} (${r.type})`;
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(r.apiVersion))
      problems.push(`${where}: bad API version ${r.apiVersion}`);
    if (r.type === 'Microsoft.Network/networkWatchers') {
      if (!r.existing) problems.push(`${where}: the network watcher should be referenced as existing`);
      if (typeof r.body.name !== 'string') problems.push(`${where}: name missing`);
      continue;
    }
    if (r.type !== 'Microsoft.Network/networkWatchers/flowLogs') {
      problems.push(`${where}: unexpected resource type`);
      continue;
    }
    const parent = r.body.parent;
    if (!parent || typeof parent !== 'object' || !('ref' in parent))
      problems.push(`${where}: parent missing`);
    else if (symbols.get(parent.ref as string)?.type !== 'Microsoft.Network/networkWatchers')
      problems.push(`${where}: parent ${String(parent.ref)} is not a declared network watcher`);
    const name = r.body.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9][\w.-]{0,79}$/.test(name))
      problems.push(`${where}: bad name ${String(name)}`);
    else if (names.has(name.toLowerCase())) problems.push(`${where}: duplicate flow log name ${name}`);
    else names.add(name.toLowerCase());
    if (typeof r.body.location !== 'string') problems.push(`${where}: location missing`);
    const need: [string, string][] = [
      ['properties.enabled', 'boolean'],
      ['properties.targetResourceId', 'string'],
      ['properties.storageId', 'string'],
      ['properties.format.type', 'string'],
      ['properties.format.version', 'number'],
      ['properties.retentionPolicy.days', 'number'],
      ['properties.retentionPolicy.enabled', 'boolean'],
    ];
    for (const [path, type] of need)
      if (typeof get(r.body, path) !== type) problems.push(`${where}: ${path} must be a ${type}`);
    if (get(r.body, 'properties.format.type') !== 'JSON') problems.push(`${where}: format.type must be JSON`);
    const target = get(r.body, 'properties.targetResourceId');
    if (typeof target === 'string' && !targets.has(target.toLowerCase()))
      problems.push(`${where}: targetResourceId ${target} does not resolve`);
    const sid = get(r.body, 'properties.storageId');
    if (typeof sid === 'string' && !storage.has(sid.toLowerCase()))
      problems.push(`${where}: storageId ${sid} does not resolve`);
    const ta = get(r.body, 'properties.flowAnalyticsConfiguration');
    if (ta !== undefined) {
      const cfg = get(
        r.body,
        'properties.flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration',
      );
      if (!cfg || typeof cfg !== 'object')
        problems.push(`${where}: networkWatcherFlowAnalyticsConfiguration missing`);
      else {
        if (typeof get(cfg as BicepObject, 'enabled') !== 'boolean')
          problems.push(`${where}: TA enabled missing`);
        const iv = get(cfg as BicepObject, 'trafficAnalyticsInterval');
        if (iv !== 10 && iv !== 60)
          problems.push(`${where}: trafficAnalyticsInterval ${String(iv)} is not 10 or 60`);
        if (
          typeof get(cfg as BicepObject, 'workspaceResourceId') !== 'string' &&
          typeof get(cfg as BicepObject, 'workspaceId') !== 'string'
        )
          problems.push(`${where}: TA without a workspace`);
      }
    }
    const known = new Set(['parent', 'name', 'location', 'properties', 'tags']);
    for (const k of Object.keys(r.body)) if (!known.has(k)) problems.push(`${where}: unknown property ${k}`);
  }
  return { problems, resources };
}
