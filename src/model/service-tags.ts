/**
 * Service tags: Microsoft's weekly "Service Tags – Public" JSON download
 * (`{changeNumber, cloud, values: [{name, id, properties: {addressPrefixes, region, ...}}]}`) and
 * inline tags from the scenario. Names are matched case-insensitively, as Azure does.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ScenarioError } from '../errors.js';

export interface ServiceTag {
  name: string;
  region?: string;
  systemService?: string;
  addressPrefixes: string[];
}

/** Lower-cased tag name → tag. */
export type ServiceTagSet = Map<string, ServiceTag>;

/** Tags whose ranges flowlens knows without a file (resolved per VNet by the policy engine). */
export const BUILTIN_TAGS = ['VirtualNetwork', 'Internet', 'AzureLoadBalancer', 'AzurePlatformDNS', 'AzurePlatformIMDS', 'AzurePlatformLKM'] as const;

export function isBuiltinTag(name: string): boolean {
  const l = name.toLowerCase();
  return BUILTIN_TAGS.some((t) => t.toLowerCase() === l);
}

const serviceTagsFileSchema = z.object({
  changeNumber: z.number().optional(),
  cloud: z.string().optional(),
  values: z.array(
    z.object({
      name: z.string(),
      id: z.string().optional(),
      properties: z
        .object({
          addressPrefixes: z.array(z.string()).default([]),
          region: z.string().optional(),
          systemService: z.string().optional(),
        })
        .loose(),
    }).loose(),
  ),
}).loose();

/** Parses the Service Tags JSON text; `source` names the file in errors. */
export function parseServiceTagsJson(text: string, source: string): ServiceTagSet {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`service tags file is not JSON: ${(err as Error).message}`, { file: source });
  }
  const parsed = serviceTagsFileSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new ScenarioError(`not a Service Tags file: ${i.message}`, { file: source, path });
  }
  const out: ServiceTagSet = new Map();
  for (const v of parsed.data.values) {
    out.set(v.name.toLowerCase(), {
      name: v.name,
      region: v.properties.region || undefined,
      systemService: v.properties.systemService || undefined,
      addressPrefixes: v.properties.addressPrefixes,
    });
  }
  return out;
}

export function loadServiceTagsFile(path: string): ServiceTagSet {
  return parseServiceTagsJson(readFileSync(path, 'utf8'), path);
}

export function inlineServiceTags(tags: readonly { name: string; addressPrefixes: string[] }[]): ServiceTagSet {
  return new Map(tags.map((t) => [t.name.toLowerCase(), { name: t.name, addressPrefixes: [...t.addressPrefixes] }]));
}

/** Later sets win on name clashes. */
export function mergeServiceTags(...sets: ServiceTagSet[]): ServiceTagSet {
  const out: ServiceTagSet = new Map();
  for (const s of sets) for (const [k, v] of s) out.set(k, v);
  return out;
}
