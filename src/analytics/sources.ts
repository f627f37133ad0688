/**
 * The user-supplied enrichment files, each loaded with errors that say where the problem is:
 * - Service Tags: Microsoft's "Service Tags – Public" JSON (`{changeNumber, cloud, values: [{name,
 *   id, properties: {region, systemService, addressPrefixes}}]}`) → Azure-owned ranges.
 * - Threat list: CSV `ip_or_cidr,threat_type,description` (header optional, `#` comments).
 * - Geolocation: CSV `first_ip,last_ip,country` (the format of the bundled CC0 database from the
 *   `@ip-location-db/geo-whois-asn-country` package, which is the default).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FlowlensError } from '../errors.js';
import { parseIpv4 } from '../model/ip.js';
import { createPrefixTable, parseIp, parsePrefix, type ParsedIp, type PrefixTable } from './prefix.js';

export interface EnrichmentFileLocation {
  file: string;
  line?: number;
  column?: number;
  /** JSON path such as `values[3].properties.addressPrefixes[1]`. */
  path?: string;
}

export class EnrichmentFileError extends FlowlensError {
  readonly location: EnrichmentFileLocation;
  readonly reason: string;
  constructor(reason: string, location: EnrichmentFileLocation) {
    const where = [
      location.line !== undefined ? `${location.file}:${location.line}${location.column !== undefined ? `:${location.column}` : ''}` : location.file,
      location.path,
    ]
      .filter(Boolean)
      .join(' ');
    super(`${where}: ${reason}`);
    this.reason = reason;
    this.location = location;
  }
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/**
 * Offset of the first JSON syntax error (Node 20's JSON.parse messages do not always say where).
 * A plain recursive-descent syntax check; -1 when the text is valid.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  class Stop extends Error {}
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw new Stop();
  };
  const str = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '"') str();
    else {
      const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
      if (!m) fail();
      i += m![0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (e) {
    if (e instanceof Stop) return i;
    throw e;
  }
}

// ---------------------------------------------------------------- service tags

export interface ServiceTagMatch {
  /** Tag name, e.g. `Storage.WestEurope`. */
  tag: string;
  /** Azure region of the tag ('' for global tags). */
  region: string;
  systemService: string;
}

export interface ServiceTagIndex {
  lookup(ip: ParsedIp): ServiceTagMatch | undefined;
  readonly tagCount: number;
  readonly prefixCount: number;
}

/**
 * Overlapping tags (AzureCloud ⊃ AzureCloud.westeurope ⊃ Storage.WestEurope) resolve to the
 * longest prefix; on equal prefixes the most specific tag wins: one with a system service and a
 * region before one with only a region, before a global one.
 */
function specificity(m: ServiceTagMatch): number {
  return (m.systemService ? 2 : 0) + (m.region ? 1 : 0);
}

export function parseServiceTags(text: string, file: string): ServiceTagIndex {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const offset = pos ? Number(pos[1]) : jsonErrorOffset(text);
    const loc = offset >= 0 ? lineColumnAt(text, offset) : {};
    throw new EnrichmentFileError(`Service Tags file is not valid JSON (${msg})`, { file, ...loc });
  }
  const root = data as { values?: unknown };
  if (typeof data !== 'object' || data === null || !Array.isArray(root.values)) {
    throw new EnrichmentFileError('not a Service Tags file: expected an object with a "values" array', { file, path: 'values' });
  }
  const byPrefix = new Map<string, { prefix: ReturnType<typeof parsePrefix>; match: ServiceTagMatch }>();
  let tagCount = 0;
  const locate = (needle: string, path: string): EnrichmentFileLocation => {
    const at = text.indexOf(JSON.stringify(needle));
    return at >= 0 ? { file, path, ...lineColumnAt(text, at + 1) } : { file, path };
  };
  root.values.forEach((value: unknown, i: number) => {
    const v = value as { name?: unknown; properties?: { region?: unknown; systemService?: unknown; addressPrefixes?: unknown } };
    if (typeof v !== 'object' || v === null || typeof v.name !== 'string') {
      throw new EnrichmentFileError('service tag entry needs a string "name"', { file, path: `values[${i}]` });
    }
    const props = v.properties;
    if (typeof props !== 'object' || props === null || !Array.isArray(props.addressPrefixes)) {
      throw new EnrichmentFileError(`service tag "${v.name}" has no properties.addressPrefixes array`, locate(v.name, `values[${i}].properties`));
    }
    tagCount++;
    const match: ServiceTagMatch = {
      tag: v.name,
      region: typeof props.region === 'string' ? props.region : '',
      systemService: typeof props.systemService === 'string' ? props.systemService : '',
    };
    props.addressPrefixes.forEach((p: unknown, j: number) => {
      const path = `values[${i}].properties.addressPrefixes[${j}]`;
      const parsed = typeof p === 'string' ? parsePrefix(p) : null;
      if (!parsed) {
        throw new EnrichmentFileError(
          `not an IP prefix: ${JSON.stringify(p)}`,
          typeof p === 'string' ? locate(p, path) : { file, path },
        );
      }
      const key = `${p}`;
      const prev = byPrefix.get(key);
      if (!prev || specificity(match) > specificity(prev.match)) byPrefix.set(key, { prefix: parsed, match });
    });
  });
  const table = createPrefixTable<ServiceTagMatch>();
  for (const { prefix, match } of byPrefix.values()) table.add(prefix!, match);
  return { lookup: (ip) => table.lookup(ip), tagCount, prefixCount: table.size };
}

export function loadServiceTags(file: string): ServiceTagIndex {
  return parseServiceTags(readText(file), file);
}

// ---------------------------------------------------------------- threat list

/** ThreatType values documented for NTAIpDetails (spec §3); other values are kept as given. */
export const THREAT_TYPES = [
  'Botnet',
  'C2',
  'CryptoMining',
  'DarkNet',
  'DDoS',
  'MaliciousUrl',
  'Malware',
  'Phishing',
  'Proxy',
  'PUA',
  'WatchList',
] as const;

export interface ThreatInfo {
  threatType: string;
  description: string;
}

export interface ThreatIndex {
  lookup(ip: ParsedIp): ThreatInfo | undefined;
  readonly size: number;
}

/** Splits one CSV line (RFC 4180 quotes); returns fields and their 1-based start columns. */
function splitCsvLine(line: string): { fields: string[]; columns: number[] } | null {
  const fields: string[] = [];
  const columns: number[] = [];
  let i = 0;
  while (i <= line.length) {
    columns.push(i + 1);
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      fields.push(value);
      if (i < line.length && line[i] !== ',') return null;
      i++;
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      fields.push(line.slice(i, stop).trim());
      i = stop + 1;
    }
  }
  return { fields, columns };
}

export function parseThreatList(text: string, file: string): ThreatIndex {
  const table = createPrefixTable<ThreatInfo>();
  const canonicalType = new Map(THREAT_TYPES.map((t) => [t.toLowerCase(), t as string]));
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const split = splitCsvLine(raw);
    if (!split) throw new EnrichmentFileError('unterminated quoted field', { file, line: lineNo });
    const { fields, columns } = split;
    if (index === 0 || lines.slice(0, index).every((l) => l.trim() === '' || l.trim().startsWith('#'))) {
      if (/^(ip|cidr|ip_or_cidr|address|indicator)$/i.test(fields[0])) return; // header
    }
    if (fields.length < 2) {
      throw new EnrichmentFileError('expected ip_or_cidr,threat_type[,description]', { file, line: lineNo, column: 1 });
    }
    const prefix = parsePrefix(fields[0]);
    if (!prefix) throw new EnrichmentFileError(`not an IP address or CIDR: "${fields[0]}"`, { file, line: lineNo, column: columns[0] });
    if (fields[1] === '') throw new EnrichmentFileError('threat type is empty', { file, line: lineNo, column: columns[1] });
    table.add(prefix, {
      threatType: canonicalType.get(fields[1].toLowerCase()) ?? fields[1],
      description: fields.slice(2).join(',').trim(),
    });
  });
  return { lookup: (ip) => table.lookup(ip), get size() { return table.size; } };
}

export function loadThreatList(file: string): ThreatIndex {
  return parseThreatList(readText(file), file);
}

// ---------------------------------------------------------------- geolocation

export interface GeoIndex {
  /** ISO 3166-1 alpha-2 country of an IPv4 address, '' when unknown. IPv6: '' (not loaded). */
  country(ip: ParsedIp): string;
  readonly ranges: number;
}

/** Parses `first,last,country` rows (IPv4 dotted or numeric); rows must be sorted and disjoint. */
export function parseGeoCsv(text: string, file: string): GeoIndex {
  const firsts: number[] = [];
  const lasts: number[] = [];
  const codes: number[] = [];
  const names: string[] = [];
  const codeOf = new Map<string, number>();
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).replace(/\r$/, '');
    pos = end + 1;
    lineNo++;
    if (line === '' || line.startsWith('#')) continue;
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    if (c1 < 0 || c2 < 0) throw new EnrichmentFileError('expected first_ip,last_ip,country', { file, line: lineNo, column: 1 });
    const a = line.slice(0, c1);
    const b = line.slice(c1 + 1, c2);
    const country = line.slice(c2 + 1).trim();
    if (a.includes(':')) continue; // IPv6 rows: not indexed
    const first = /^\d+$/.test(a) ? Number(a) : parseIpv4(a);
    const last = /^\d+$/.test(b) ? Number(b) : parseIpv4(b);
    if (!(first >= 0 && first <= 0xffffffff)) throw new EnrichmentFileError(`not an IPv4 address: "${a}"`, { file, line: lineNo, column: 1 });
    if (!(last >= first && last <= 0xffffffff)) throw new EnrichmentFileError(`bad range end: "${b}"`, { file, line: lineNo, column: c1 + 2 });
    if (!/^[A-Za-z]{2}$/.test(country)) {
      throw new EnrichmentFileError(`not an ISO 3166-1 alpha-2 country code: "${country}"`, { file, line: lineNo, column: c2 + 2 });
    }
    // nested ranges (a more specific block inside a larger one) are allowed; starts must be sorted
    if (firsts.length && first < firsts[firsts.length - 1]) {
      throw new EnrichmentFileError('ranges must be sorted by their first address', { file, line: lineNo, column: 1 });
    }
    let code = codeOf.get(country.toUpperCase());
    if (code === undefined) {
      code = names.length;
      names.push(country.toUpperCase());
      codeOf.set(country.toUpperCase(), code);
    }
    firsts.push(first);
    lasts.push(last);
    codes.push(code);
  }
  const F = Float64Array.from(firsts);
  const L = Float64Array.from(lasts);
  const C = Uint16Array.from(codes);
  return {
    country(ip) {
      if (ip.v !== 4) return '';
      // last range starting at or before ip; nested ranges start later, so scanning back from it
      // finds the most specific range that contains ip
      let lo = 0;
      let hi = F.length - 1;
      let at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (F[mid] <= ip.n) {
          at = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      for (let k = at, steps = 0; k >= 0 && steps < 64; k--, steps++) {
        if (L[k] >= ip.n) return names[C[k]];
      }
      return '';
    },
    ranges: F.length,
  };
}

export function loadGeoCsv(file: string): GeoIndex {
  return parseGeoCsv(readText(file), file);
}

let bundledGeo: GeoIndex | null = null;

/** The bundled CC0 IPv4 → country database (loaded once, ~0.3 s). */
export function bundledGeoIndex(): GeoIndex {
  if (bundledGeo) return bundledGeo;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve('@ip-location-db/geo-whois-asn-country/geo-whois-asn-country-ipv4-num.csv');
  } catch (err) {
    throw new FlowlensError(
      'the bundled geolocation database (@ip-location-db/geo-whois-asn-country) is not installed; run npm install or pass a geolocation CSV',
      { cause: err },
    );
  }
  bundledGeo = loadGeoCsv(file);
  return bundledGeo;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnrichmentFileError(`cannot read: ${(err as Error).message}`, { file });
  }
}

export { parseIp };
export type { PrefixTable };
