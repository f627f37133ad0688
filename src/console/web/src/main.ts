/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { api, subscribe } from './api.js';
import { disposeCharts, errorBox } from './dom.js';
import { formatTime } from './format.js';
import type { Info, View, ViewContext } from './state.js';
import { overviewView } from './views/overview.js';
import { topologyView } from './views/topology.js';
import { rulesView } from './views/rules.js';
import { flowsView } from './views/flows.js';
import { publicIpsView } from './views/public-ips.js';
import { queryView } from './views/query.js';
import { coverageView } from './views/coverage.js';

const views: Record<string, { title: string; view: View; live: boolean }> = {
  overview: { title: 'Overview', view: overviewView, live: true },
  topology: { title: 'Topology', view: topologyView, live: false },
  rules: { title: 'Rules', view: rulesView, live: false },
  flows: { title: 'Flows', view: flowsView, live: false },
  'public-ips': { title: 'Public IPs', view: publicIpsView, live: false },
  query: { title: 'Query', view: queryView, live: false },
  coverage: { title: 'Coverage', view: coverageView, live: false },
};

const main = document.getElementById('main') as HTMLElement;
const preset = document.getElementById('range-preset') as HTMLSelectElement;
const custom = document.getElementById('range-custom') as HTMLElement;
const fromInput = document.getElementById('range-from') as HTMLInputElement;
const toInput = document.getElementById('range-to') as HTMLInputElement;
const liveBox = document.getElementById('live') as HTMLElement;
let info: Info;
let rendering: Promise<void> = Promise.resolve();
let pendingLive = false;

const PRESET_MS: Record<string, number> = { '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 };

/** Presets are relative to the newest data, so emulated days in the past are easy to browse. */
function rangeQuery(): string {
  const p = new URLSearchParams();
  if (preset.value === 'custom') {
    if (fromInput.value) p.set('from', String(Date.parse(fromInput.value + ':00Z')));
    if (toInput.value) p.set('to', String(Date.parse(toInput.value + ':00Z')));
  } else if (PRESET_MS[preset.value] && info.extent.lastMs !== null) {
    const end = info.extent.lastMs + 1;
    p.set('from', String(end - PRESET_MS[preset.value]));
    p.set('to', String(end));
  }
  return p.toString();
}

/** Views that fetch the data extent anyway report it here. */
function updateExtent(extent: Info['extent']): void {
  if (!info) return;
  info = { ...info, extent };
  showStore();
}

function showStore(): void {
  const storeLine = document.getElementById('store') as HTMLElement;
  const extent = info.extent.firstMs !== null && info.extent.lastMs !== null ? ` · data ${formatTime(info.extent.firstMs)} – ${formatTime(info.extent.lastMs)} UTC` : ' · no data yet';
  storeLine.textContent = `${info.store}${extent}`;
}

function currentRoute(): { name: string; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { name: views[path] ? path : 'overview', params: new URLSearchParams(query ?? '') };
}

async function render(live = false): Promise<void> {
  const { name, params } = currentRoute();
  const entry = views[name];
  document.title = `${entry.title} · flowlens`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx: ViewContext = { main, info, rangeQuery: rangeQuery(), params, live, onExtent: updateExtent };
  if (!live) {
    disposeCharts();
    main.replaceChildren();
  }
  main.dataset.view = name;
  main.setAttribute('aria-busy', 'true');
  try {
    await entry.view(ctx);
  } catch (err) {
    main.append(errorBox(err));
  } finally {
    main.setAttribute('aria-busy', 'false');
    main.dataset.rendered = String(Date.now());
  }
}

function schedule(live = false): void {
  rendering = rendering.then(() => render(live));
}

async function start(): Promise<void> {
  info = await api<Info>('/api/info');
  showStore();
  preset.addEventListener('change', () => {
    custom.hidden = preset.value !== 'custom';
    if (preset.value !== 'custom') schedule();
  });
  document.getElementById('range-form')?.addEventListener('submit', (e) => {
    e.preventDefault();
    schedule();
  });
  window.addEventListener('hashchange', () => schedule());
  subscribe(
    (payload) => {
      liveBox.textContent = `live · data version ${payload.version}`;
      liveBox.dataset.version = payload.version;
      // Re-render at once; the header's data extent follows from the view's own answer or a
      // separate info request, without holding the view back.
      const { name } = currentRoute();
      if (views[name].live && !pendingLive) {
        pendingLive = true;
        rendering = rendering.then(() => {
          pendingLive = false;
          return render(true);
        });
      } else {
        void api<Info>('/api/info').then((next) => {
          info = next;
          showStore();
        });
      }
    },
    (live) => {
      liveBox.classList.toggle('on', live);
      if (!live) liveBox.textContent = 'live updates paused, reconnecting…';
    },
  );
  if (!location.hash) history.replaceState(null, '', '#/overview');
  schedule();
}

start().catch((err) => main.append(errorBox(err)));
