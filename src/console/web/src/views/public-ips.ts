/// <reference lib="dom" />
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import worldUrl from 'world-atlas/countries-110m.json?url';
import countriesUrl from 'world-countries/countries.json?url';
import { api } from '../api.js';
import { chart, echarts, el, scroller, table } from '../dom.js';
import { formatBytes, formatCount } from '../format.js';
import type { ViewContext } from '../state.js';
import type { CountryRow, MaliciousIpRow, PublicIpSummaryRow, RegionRow } from '../../../queries.js';
import { card, mount, withRange } from './common.js';

interface PublicIpsResponse {
  countries: CountryRow[];
  regions: RegionRow[];
  available: boolean;
  reason?: string;
  malicious: MaliciousIpRow[];
  summary: PublicIpSummaryRow[];
}

let mapReady: Promise<Map<string, string>> | null = null;

/** Registers the world map once; returns ISO alpha-2 → the map's country name. */
function loadWorld(): Promise<Map<string, string>> {
  mapReady ??= (async () => {
    const [topo, countries] = await Promise.all([
      fetch(worldUrl).then((r) => r.json() as Promise<Topology<{ countries: GeometryCollection<{ name: string }> }>>),
      fetch(countriesUrl).then((r) => r.json() as Promise<{ cca2: string; ccn3: string }[]>),
    ]);
    const geo = feature(topo, topo.objects.countries);
    // A flat map cannot draw rings that cross the antimeridian (they become lines across the
    // world): drop those rings, and Antarctica, which carries no traffic.
    geo.features = geo.features.filter((f) => f.id !== '010');
    for (const f of geo.features) {
      const g = f.geometry as { type: string; coordinates: number[][][] | number[][][][] };
      const crosses = (ring: number[][]) => ring.some((p, i) => i > 0 && Math.abs(p[0] - ring[i - 1][0]) > 180);
      if (g.type === 'Polygon') g.coordinates = (g.coordinates as number[][][]).filter((r) => !crosses(r));
      else if (g.type === 'MultiPolygon') g.coordinates = (g.coordinates as number[][][][]).filter((poly) => !crosses(poly[0]));
    }
    echarts.registerMap('world', geo as unknown as Parameters<typeof echarts.registerMap>[1]);
    const nameById = new Map(geo.features.map((f) => [String(f.id), f.properties?.name ?? '']));
    return new Map(countries.filter((c) => nameById.has(c.ccn3)).map((c) => [c.cca2, nameById.get(c.ccn3) as string]));
  })();
  return mapReady;
}

export async function publicIpsView(ctx: ViewContext): Promise<void> {
  const [r, names] = await Promise.all([api<PublicIpsResponse>(withRange('/api/public-ips', ctx)), loadWorld()]);
  const maxFlows = Math.max(1, ...r.countries.map((c) => c.flows));
  const countryTable = table(
    'External and malicious flows by country',
    [
      { key: 'country', label: 'Country (ISO)', value: (c) => c.country },
      { key: 'name', label: 'Name', value: (c) => names.get(c.country) ?? '' },
      { key: 'flows', label: 'Flows', value: (c) => c.flows, text: (c) => formatCount(c.flows), numeric: true },
      { key: 'malicious', label: 'Malicious flows', value: (c) => c.malicious, text: (c) => formatCount(c.malicious), numeric: true },
      { key: 'bytes', label: 'Bytes', value: (c) => c.bytes, text: (c) => formatBytes(c.bytes), numeric: true },
    ],
    r.countries,
    { 'data-table': 'countries' },
  );
  const map = chart(
    'World map of external and malicious flows by country',
    {
      tooltip: { trigger: 'item' },
      visualMap: { min: 0, max: maxFlows, left: 10, bottom: 10, text: ['more flows', 'fewer'], calculable: true, inRange: { color: ['#ddf4ff', '#0969da'] } },
      series: [
        {
          type: 'map',
          map: 'world',
          roam: true,
          name: 'Flows',
          emphasis: { label: { show: false } },
          data: r.countries.map((c) => ({ name: names.get(c.country) ?? c.country, value: c.flows, itemStyle: c.malicious > 0 ? { borderColor: '#cf222e', borderWidth: 1.5 } : undefined })),
        },
      ],
    },
    countryTable,
    true,
  );
  const regions = table(
    'Azure public traffic by Azure region',
    [
      { key: 'region', label: 'Azure region', value: (x) => x.region },
      { key: 'flows', label: 'Flows', value: (x) => x.flows, text: (x) => formatCount(x.flows), numeric: true },
      { key: 'bytes', label: 'Bytes', value: (x) => x.bytes, text: (x) => formatBytes(x.bytes), numeric: true },
    ],
    r.regions,
    { 'data-table': 'regions' },
  );
  const malicious = r.available
    ? table(
        'Malicious IPs (NTAIpDetails)',
        [
          { key: 'ip', label: 'IP', value: (m) => m.ip },
          { key: 'threatType', label: 'Threat type', value: (m) => m.threatType },
          { key: 'description', label: 'Description', value: (m) => m.description },
          { key: 'location', label: 'Country', value: (m) => m.location },
        ],
        r.malicious,
        { 'data-table': 'malicious' },
      )
    : el('p', { class: 'notice' }, r.reason ?? 'NTAIpDetails not available');
  const summary = table(
    'Public IPs by type',
    [
      { key: 'flowType', label: 'Flow type', value: (s) => s.flowType },
      { key: 'ips', label: 'Distinct IPs', value: (s) => s.ips, text: (s) => formatCount(s.ips), numeric: true },
    ],
    r.summary,
    { 'data-table': 'ip-summary' },
  );
  mount(
    ctx,
    el('h2', {}, 'Public IPs'),
    card('Countries', map),
    el('div', { class: 'grid' }, card('Azure regions', scroller('Azure regions', regions)), card('Malicious list', scroller('Malicious list', malicious)), card('Public IPs by type', summary)),
  );
}
