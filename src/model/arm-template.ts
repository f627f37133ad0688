/**
 * ARM template exports (`az group export`, portal "Export template"): resources have no `id`,
 * names and references are template expressions such as `[parameters('virtualNetworks_hub_name')]`
 * or `[resourceId('Microsoft.Network/networkSecurityGroups', parameters('nsg_name'))]`, and child
 * resources may be nested. This module evaluates the small expression subset exports use
 * (`parameters`, `variables`, `resourceId`, `concat`, `resourceGroup()`, `subscription()`) and turns
 * the template into resource objects with IDs, which the importer then reads like REST output.
 * Anything it cannot evaluate is left as the original string.
 */

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TemplateContext {
  subscription: string;
  resourceGroup: string;
  location?: string;
}

/** Placeholder subscription when none is given (`--subscription`). */
export const TEMPLATE_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const TEMPLATE_RESOURCE_GROUP = 'template-rg';

export function isArmTemplate(doc: unknown): doc is Json {
  return isObj(doc) && Array.isArray(doc.resources) && (typeof doc.$schema === 'string' ? /deploymentTemplate/i.test(doc.$schema) : 'contentVersion' in doc);
}

type Value = string | number | boolean | null | Json | unknown[];

interface Parser {
  text: string;
  at: number;
}

function skip(p: Parser) {
  while (p.at < p.text.length && /\s/.test(p.text[p.at])) p.at++;
}

function parseExpr(p: Parser, call: (name: string, args: Value[]) => Value): Value {
  skip(p);
  const ch = p.text[p.at];
  if (ch === "'") {
    let out = '';
    p.at++;
    while (p.at < p.text.length) {
      if (p.text[p.at] === "'") {
        if (p.text[p.at + 1] === "'") {
          out += "'";
          p.at += 2;
          continue;
        }
        p.at++;
        break;
      }
      out += p.text[p.at++];
    }
    return out;
  }
  const num = /^-?\d+/.exec(p.text.slice(p.at));
  if (num) {
    p.at += num[0].length;
    return Number(num[0]);
  }
  const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(p.text.slice(p.at));
  if (!ident) throw new Error(`unexpected "${p.text.slice(p.at, p.at + 10)}"`);
  p.at += ident[0].length;
  skip(p);
  let value: Value;
  if (p.text[p.at] === '(') {
    p.at++;
    const args: Value[] = [];
    skip(p);
    while (p.text[p.at] !== ')') {
      args.push(parseExpr(p, call));
      skip(p);
      if (p.text[p.at] === ',') p.at++;
      else if (p.text[p.at] !== ')') throw new Error('expected , or )');
    }
    p.at++;
    value = call(ident[0], args);
  } else value = ident[0] === 'true' ? true : ident[0] === 'false' ? false : ident[0] === 'null' ? null : ident[0];
  // property access: .name or ['name']
  for (;;) {
    skip(p);
    if (p.text[p.at] === '.') {
      p.at++;
      const prop = /^[A-Za-z_][A-Za-z0-9_]*/.exec(p.text.slice(p.at));
      if (!prop) throw new Error('expected property');
      p.at += prop[0].length;
      value = isObj(value) ? (value[prop[0]] as Value) : undefined as unknown as Value;
    } else break;
  }
  return value;
}

/** Builds `/subscriptions/…/providers/Microsoft.X/a/A/b/B` from a full type and name segments. */
export function buildResourceId(ctx: TemplateContext, type: string, names: string[], subscription = ctx.subscription, resourceGroup = ctx.resourceGroup): string {
  const [ns, ...types] = type.split('/');
  let path = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/${ns}`;
  types.forEach((t, i) => {
    path += `/${t}/${names[i] ?? ''}`;
  });
  return path;
}

function evaluator(template: Json, ctx: TemplateContext) {
  const params = isObj(template.parameters) ? template.parameters : {};
  const vars = isObj(template.variables) ? template.variables : {};
  const call = (name: string, args: Value[]): Value => {
    switch (name.toLowerCase()) {
      case 'parameters': {
        const p = params[String(args[0])];
        return isObj(p) ? (evaluate(p.defaultValue) as Value) : null;
      }
      case 'variables':
        return evaluate(vars[String(args[0])]) as Value;
      case 'concat':
        return args.every(Array.isArray) ? (args as unknown[][]).flat() : args.map((a) => String(a ?? '')).join('');
      case 'resourcegroup':
        return { name: ctx.resourceGroup, location: ctx.location ?? '', id: `/subscriptions/${ctx.subscription}/resourceGroups/${ctx.resourceGroup}` };
      case 'subscription':
        return { subscriptionId: ctx.subscription, id: `/subscriptions/${ctx.subscription}` };
      case 'resourceid': {
        const strs = args.map((a) => String(a));
        const typeAt = strs.findIndex((s) => /^[A-Za-z]+\.[A-Za-z.]+\//.test(s));
        if (typeAt < 0) throw new Error('resourceId without a type');
        const before = strs.slice(0, typeAt);
        const sub = before.length === 2 ? before[0] : ctx.subscription;
        const rg = before.length >= 1 ? before[before.length - 1] : ctx.resourceGroup;
        return buildResourceId(ctx, strs[typeAt], strs.slice(typeAt + 1), sub, rg);
      }
      case 'tolower':
        return String(args[0]).toLowerCase();
      case 'toupper':
        return String(args[0]).toUpperCase();
      default:
        throw new Error(`unsupported function ${name}`);
    }
  };
  const evaluate = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (v.startsWith('[[')) return v.slice(1);
      if (v.startsWith('[') && v.endsWith(']')) {
        try {
          const p: Parser = { text: v.slice(1, -1), at: 0 };
          const out = parseExpr(p, call);
          skip(p);
          return p.at === p.text.length ? out : v;
        } catch {
          return v;
        }
      }
      return v;
    }
    if (Array.isArray(v)) return v.map(evaluate);
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, evaluate(x)]));
    return v;
  };
  return evaluate;
}

/** Resource objects (with `id`) from an ARM template; nested child resources are flattened. */
export function templateResources(template: Json, ctx: TemplateContext): Json[] {
  const evaluate = evaluator(template, ctx);
  const out: Json[] = [];
  const visit = (r: Json, parentType?: string, parentNames?: string[]) => {
    const type = String(evaluate(r.type));
    const fullType = parentType && !type.includes('/') ? `${parentType}/${type}` : type;
    const rawName = String(evaluate(r.name));
    const names = parentNames && !rawName.includes('/') ? [...parentNames, rawName] : rawName.split('/');
    const evaluated = evaluate(Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'resources'))) as Json;
    const location = typeof evaluated.location === 'string' ? evaluated.location : ctx.location;
    out.push({ ...evaluated, type: fullType, name: names[names.length - 1], id: buildResourceId(ctx, fullType, names), ...(location ? { location } : {}), resourceGroup: ctx.resourceGroup });
    for (const child of Array.isArray(r.resources) ? r.resources : []) if (isObj(child)) visit(child, fullType, names);
  };
  for (const r of template.resources as unknown[]) if (isObj(r)) visit(r);
  return out;
}
