/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Code inside page.evaluate() runs in the browser.
/**
 * The console in a real Chromium against a DuckDB store filled from examples/hub-spoke.yaml
 * (emulate → ingest → analytics): every view renders, and the numbers it shows equal
 * hand-written SQL over the same store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openDuckDbFileBackend, startConsoleServer, type ConsoleBackend, type ConsoleServer } from '../../src/console/index.js';
import { formatBytes, formatCount } from '../../src/console/web/src/format.js';
import { join } from 'node:path';
import { loadScenario, type Scenario } from '../../src/model/index.js';
import { coverage, coverageTable } from '../../src/coverage/index.js';
import { topologyFromScenario } from '../../src/console/scenario.js';
import { denySpikes } from '../../src/console/queries.js';
import { baseRuleName } from '../../src/console/topology.js';
import { ensureWebBuilt, launchBrowser, pipelineStoreFile, ROOT, screenshotPath, tempDir } from './support/harness.js';

const SCENARIO_FILE = join(ROOT, 'examples', 'hub-spoke.yaml');
// The scanners of the scenario's internet generator come from these documentation ranges.
const THREATS = 'ip_or_cidr,threat_type,description\n198.51.100.0/24,Botnet,test scanner range\n';
let scenario: Scenario;

let dir: ReturnType<typeof tempDir>;
let backend: ConsoleBackend;
let server: ConsoleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

async function sql(text: string): Promise<unknown[][]> {
  return (await backend.query(text, { timeoutMs: 30_000, maxRows: 100_000 })).rows;
}

async function gotoView(name: string, query = ''): Promise<void> {
  const before = await page.evaluate(() => document.getElementById('main')?.dataset.rendered ?? '');
  // A nonce makes every navigation a hash change, also to the view already shown.
  const nonce = `n=${Date.now()}`;
  await page.evaluate((h) => (location.hash = h), `#/${name}?${query ? `${query}&` : ''}${nonce}`);
  await page.waitForFunction(
    ([view, prev]) => {
      const main = document.getElementById('main');
      return main?.dataset.view === view && main.getAttribute('aria-busy') === 'false' && (main.dataset.rendered ?? '') !== prev;
    },
    [name, before] as const,
  );
}

/** Cells of a `data-table` as [data-col → data-value] records. */
async function tableValues(name: string): Promise<Record<string, string>[]> {
  return page.$$eval(`table[data-table="${name}"] tbody tr`, (rows) =>
    rows
      .filter((r) => r.querySelector('td[data-col]'))
      .map((r) => Object.fromEntries([...r.querySelectorAll('td[data-col]')].map((td) => [(td as HTMLElement).dataset.col, (td as HTMLElement).dataset.value ?? '']))),
  );
}

/** Runs the editor's query and fails with the shown error, if any. */
async function runQuery() {
  await page.click('#run-query');
  await page.waitForSelector('#query-output table[data-table="query-result"], #query-output .error', { state: 'attached' });
  expect(await page.$eval('#query-output', (o) => o.querySelector('.error')?.textContent ?? null)).toBeNull();
}

async function shot(name: string) {
  await page.waitForTimeout(300); // let canvases paint
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

const FLOWS = '(AllowedInFlows + AllowedOutFlows + DeniedInFlows + DeniedOutFlows)';
const BYTES = '(BytesSrcToDest + BytesDestToSrc)';

beforeAll(async () => {
  await ensureWebBuilt();
  dir = tempDir('flowlens-console-');
  scenario = loadScenario(SCENARIO_FILE).scenario;
  const file = await pipelineStoreFile(dir.dir, SCENARIO_FILE, '20m', THREATS);
  backend = await openDuckDbFileBackend(file);
  server = await startConsoleServer({
    backend,
    port: 0,
    topology: topologyFromScenario(scenario),
    scenario,
    storeLabel: 'DuckDB (examples/hub-spoke.yaml, 20 emulated minutes)',
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}#/overview`);
  await page.waitForSelector('main[data-view="overview"][aria-busy="false"] [data-metric="flows"]');
  expect(errors).toEqual([]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await backend?.close();
  dir?.remove();
});

describe('console views in Chromium', () => {
  it('Overview: totals, flow types and top lists equal the store', async () => {
    await gotoView('overview');
    const [[rows, flows, allowed, denied, bytes]] = await sql(
      `SELECT count(*), sum(${FLOWS}), sum(AllowedInFlows + AllowedOutFlows), sum(DeniedInFlows + DeniedOutFlows), sum(${BYTES}) FROM NTANetAnalytics`,
    );
    const metric = (m: string) => page.$eval(`[data-metric="${m}"]`, (e) => ({ value: (e as HTMLElement).dataset.value, text: e.textContent }));
    expect(await metric('flows')).toEqual({ value: String(flows), text: formatCount(Number(flows)) });
    expect(await metric('allowed')).toEqual({ value: String(allowed), text: formatCount(Number(allowed)) });
    expect(await metric('denied')).toEqual({ value: String(denied), text: formatCount(Number(denied)) });
    expect(await metric('bytes')).toEqual({ value: String(bytes), text: formatBytes(Number(bytes)) });
    expect(await metric('rows')).toEqual({ value: String(rows), text: formatCount(Number(rows)) });
    expect(Number(flows)).toBeGreaterThan(0);
    expect(Number(denied)).toBeGreaterThan(0);

    const byType = await sql(
      `SELECT FlowType, sum(${FLOWS}) AS f, sum(DeniedInFlows + DeniedOutFlows) FROM NTANetAnalytics GROUP BY FlowType ORDER BY f DESC, FlowType`,
    );
    expect((await tableValues('flow-types')).map((r) => [r.flowType, Number(r.flows), Number(r.denied)])).toEqual(byType.map((r) => [r[0], Number(r[1]), Number(r[2])]));

    const talkers = await sql(
      `SELECT ip, sum(b) AS bytes FROM (SELECT SrcIp AS ip, ${BYTES} AS b FROM NTANetAnalytics WHERE SrcIp <> ''
         UNION ALL SELECT DestIp, ${BYTES} FROM NTANetAnalytics WHERE DestIp <> '') GROUP BY ip ORDER BY bytes DESC, ip LIMIT 10`,
    );
    expect((await tableValues('talkers')).map((r) => [r.ip, Number(r.bytes)])).toEqual(talkers.map((r) => [r[0], Number(r[1])]));

    const conversations = await sql(
      `SELECT SrcIp, DestIp, sum(${BYTES}) AS b FROM NTANetAnalytics WHERE SrcIp <> '' AND DestIp <> ''
       GROUP BY SrcIp, DestIp ORDER BY b DESC, sum(${FLOWS}) DESC, SrcIp, DestIp LIMIT 10`,
    );
    expect((await tableValues('conversations')).map((r) => [r.src, r.dest, Number(r.bytes)])).toEqual(conversations.map((r) => [r[0], r[1], Number(r[2])]));

    const ports = await sql(`SELECT DestPort, sum(${FLOWS}) AS f FROM NTANetAnalytics GROUP BY DestPort, L4Protocol ORDER BY f DESC, sum(${BYTES}) DESC, DestPort, L4Protocol LIMIT 10`);
    expect((await tableValues('ports')).map((r) => [Number(r.port), Number(r.flows)])).toEqual(ports.map((r) => [Number(r[0]), Number(r[1])]));

    const deniedSources = await sql(
      `SELECT CASE WHEN SrcIp <> '' THEN SrcIp ELSE split_part(SrcPublicIps, '|', 1) END AS s, sum(DeniedInFlows + DeniedOutFlows) AS d
       FROM NTANetAnalytics GROUP BY s HAVING d > 0 ORDER BY d DESC, s LIMIT 10`,
    );
    expect((await tableValues('denied-sources')).map((r) => [r.source, Number(r.denied)])).toEqual(deniedSources.map((r) => [r[0], Number(r[1])]));

    // Each chart is a canvas with a text alternative (a table) next to it.
    expect(await page.$$eval('main [role="img"]', (els) => els.map((e) => !!e.querySelector('canvas')))).toEqual([true, true, true]);
    expect(await page.$$eval('main details.alt table', (t) => t.length)).toBe(3);
    await shot('overview');
  });

  it('Overview: the time-range picker narrows every number', async () => {
    await page.selectOption('#range-preset', '15m');
    await page.waitForFunction(() => document.getElementById('main')?.getAttribute('aria-busy') === 'false');
    await page.waitForTimeout(200);
    await page.waitForFunction(() => document.getElementById('main')?.getAttribute('aria-busy') === 'false');
    const [[last]] = await sql('SELECT max(epoch_ms(FlowStartTime)) FROM NTANetAnalytics');
    const from = Number(last) + 1 - 15 * 60_000;
    const [[flows]] = await sql(`SELECT sum(${FLOWS}) FROM NTANetAnalytics WHERE epoch_ms(FlowStartTime) >= ${from}`);
    await page.waitForFunction((v) => document.querySelector('[data-metric="flows"]')?.getAttribute('data-value') === v, String(flows));
    const [[all]] = await sql(`SELECT sum(${FLOWS}) FROM NTANetAnalytics`);
    expect(Number(flows)).toBeLessThan(Number(all));
    await page.selectOption('#range-preset', 'all');
    await page.waitForFunction((v) => document.querySelector('[data-metric="flows"]')?.getAttribute('data-value') === v, String(all));
  });

  it('Topology: subnet edges carry the store volumes and open their flows', async () => {
    await gotoView('topology', 'level=subnet');
    const edges = await sql(
      `SELECT SrcSubnet, DestSubnet, sum(${FLOWS}), sum(${BYTES}) AS b FROM NTANetAnalytics WHERE SrcSubnet <> '' AND DestSubnet <> ''
       GROUP BY SrcSubnet, DestSubnet ORDER BY b DESC, SrcSubnet, DestSubnet`,
    );
    expect(edges.length).toBeGreaterThan(1);
    expect((await tableValues('edges')).map((r) => [r.source, r.target, Number(r.flows), Number(r.bytes)])).toEqual(edges.map((r) => [r[0], r[1], Number(r[2]), Number(r[3])]));
    const nodes = (await tableValues('nodes')).map((r) => `${r.kind}:${r.id}`);
    const topo = topologyFromScenario(scenario);
    expect(nodes).toEqual(expect.arrayContaining([...topo.vnets.map((v) => `vnet:${v.id}`), ...topo.subnets.map((x) => `subnet:${x.id}`)]));
    expect(await page.$$eval('#cy canvas', (c) => c.length)).toBeGreaterThan(0);
    await shot('topology-subnets');

    const [src, dest] = edges[0] as string[];
    await page.click(`button[data-edge="traffic:${src}|${dest}"]`);
    await page.waitForSelector('table[data-table="selection-rows"]');
    const [[count]] = await sql(`SELECT least(count(*), 200) FROM NTANetAnalytics WHERE SrcSubnet = '${src}' AND DestSubnet = '${dest}'`);
    expect((await tableValues('selection-rows')).length).toBe(Number(count));
    await shot('topology-edge-flows');

    await gotoView('topology', 'level=vm');
    const vmEdges = await sql(`SELECT count(*) FROM (SELECT DISTINCT SrcVm, DestVm FROM NTANetAnalytics WHERE SrcVm <> '' AND DestVm <> '')`);
    expect((await tableValues('edges')).length).toBe(Number(vmEdges[0][0]));
    await shot('topology-vms');
  });

  it('Rules: hits per NSG and AVNM rule, rules without hits, deny spikes', async () => {
    await gotoView('rules');
    const hits = await sql(
      `SELECT AclGroup, AclRule, sum(AllowedInFlows + AllowedOutFlows), sum(DeniedInFlows + DeniedOutFlows), sum(${FLOWS}) AS f
       FROM NTANetAnalytics GROUP BY AclGroup, AclRule ORDER BY f DESC, AclGroup, AclRule`,
    );
    const shown = await tableValues('rule-hits');
    expect(shown.map((r) => [r.aclGroup, r.rule, Number(r.allowed), Number(r.denied)])).toEqual(hits.map((r) => [r[0], r[1], Number(r[2]), Number(r[3])]));
    const topo = topologyFromScenario(scenario);
    const avnmRules = new Set(topo.rules.filter((r) => r.kind === 'avnm').map((r) => r.rule));
    const avnmShown = shown.filter((r) => avnmRules.has(baseRuleName(r.rule)));
    expect(avnmShown.length).toBeGreaterThan(0);
    for (const r of avnmShown) expect(r.kind).toBe('AVNM admin rule');
    const hitRules = new Set(hits.filter((r) => Number(r[4]) > 0).map((r) => `${r[0]}|${baseRuleName(String(r[1]))}`));
    const expectedUnused = topo.rules.filter((r) => !hitRules.has(`${r.aclGroup}|${r.rule}`)).map((r) => `${r.aclGroup}|${r.rule}`);
    expect(expectedUnused.length).toBeGreaterThan(0);
    expect((await tableValues('unused-rules')).map((r) => `${r.aclGroup}|${r.rule}`)).toEqual(expectedUnused);
    // Deny spikes: the same threshold applied to per-minute denied counts queried here.
    const bins = await sql(
      `SELECT AclGroup, AclRule, CAST(floor(epoch_ms(FlowStartTime) / 60000) * 60000 AS BIGINT) AS t, sum(DeniedInFlows + DeniedOutFlows) AS d
       FROM NTANetAnalytics GROUP BY AclGroup, AclRule, t HAVING sum(DeniedInFlows + DeniedOutFlows) > 0`,
    );
    const expectedSpikes = denySpikes(bins.map((b) => ({ aclGroup: String(b[0]), rule: String(b[1]), t: Number(b[2]), denied: Number(b[3]) })));
    expect((await tableValues('deny-spikes')).map((r) => [r.aclGroup, r.rule, Number(r.t), Number(r.denied)])).toEqual(
      expectedSpikes.map((x) => [x.aclGroup, x.rule, x.t, x.denied]),
    );
    await shot('rules');
  });

  it('Flows: filters by CIDR, port, state and decision, with blob and block per row', async () => {
    await gotoView('flows', 'cidr=10.20.0.0/16&port=8080&decision=A');
    const [[count]] = await sql(
      `SELECT count(*) FROM FlowTuples WHERE (src_ip LIKE '10.20.%' OR dst_ip LIKE '10.20.%') AND (src_port = 8080 OR dst_port = 8080) AND decision = 'A'`,
    );
    expect(Number(count)).toBeGreaterThan(0);
    expect(await page.$eval('#flow-count', (e) => (e as HTMLElement).dataset.value)).toBe(String(count));
    const rows = await tableValues('flows');
    expect(rows.length).toBe(Math.min(100, Number(count)));
    for (const r of rows) {
      expect(r.decision).toBe('A');
      expect(r.blob).toMatch(/PT1H\.json$/);
      expect(r.block).not.toBe('');
    }
    await shot('flows');

    // The form drives the same filter: set state E and protocol UDP from the keyboard-usable form.
    await page.fill('#flow-filters input[name="cidr"]', '');
    await page.fill('#flow-filters input[name="port"]', '');
    await page.fill('#flow-filters input[name="protocol"]', 'UDP');
    await page.selectOption('#flow-filters select[name="decision"]', '');
    await page.selectOption('#flow-filters select[name="state"]', 'E');
    const before = await page.evaluate(() => document.getElementById('main')?.dataset.rendered);
    await page.click('#flow-filters button[type="submit"]');
    await page.waitForFunction((b) => document.getElementById('main')?.dataset.rendered !== b && document.getElementById('main')?.getAttribute('aria-busy') === 'false', before);
    await page.waitForSelector('#flow-count');
    const [[udpEnds]] = await sql(`SELECT count(*) FROM FlowTuples WHERE protocol = 17 AND state = 'E'`);
    expect(Number(udpEnds)).toBeGreaterThan(0);
    expect(await page.$eval('#flow-count', (e) => (e as HTMLElement).dataset.value)).toBe(String(udpEnds));
  });

  it('Public IPs: countries on the map, Azure regions and the malicious list', async () => {
    await gotoView('public-ips');
    const countries = await sql(
      `SELECT Country, sum(${FLOWS}) AS f FROM NTANetAnalytics WHERE FlowType IN ('ExternalPublic', 'MaliciousFlow') AND Country <> '' GROUP BY Country ORDER BY f DESC, Country`,
    );
    expect((await tableValues('countries')).map((r) => [r.country, Number(r.flows)])).toEqual(countries.map((r) => [r[0], Number(r[1])]));
    expect(countries.length).toBeGreaterThan(0);
    for (const r of await tableValues('countries')) expect(r.name).not.toBe('');
    const regions = await sql(`SELECT AzureRegion, sum(${FLOWS}) FROM NTANetAnalytics WHERE FlowType = 'AzurePublic' GROUP BY AzureRegion ORDER BY 2 DESC`);
    expect((await tableValues('regions')).map((r) => [r.region, Number(r.flows)])).toEqual(regions.map((r) => [r[0], Number(r[1])]));
    const malicious = await sql(`SELECT Ip, max(ThreatType) FROM NTAIpDetails WHERE FlowType = 'MaliciousFlow' GROUP BY Ip ORDER BY Ip`);
    expect(malicious.length).toBeGreaterThan(0);
    expect((await tableValues('malicious')).map((r) => [r.ip, r.threatType])).toEqual(malicious);
    expect(await page.$$eval('main [role="img"] canvas', (c) => c.length)).toBe(1);
    await shot('public-ips');
  });

  it('Query: SQL runs read-only with results equal to the store; completion offers our tables and columns', async () => {
    await gotoView('query');
    await page.selectOption('#query-language', 'sql');
    const editor = page.locator('#query-editor .cm-content');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('SELECT FlowType, sum(BytesSrcToDest) AS b FROM NTAN');
    await page.keyboard.press('Control+Space');
    await page.waitForSelector('.cm-tooltip-autocomplete');
    expect(await page.$$eval('.cm-tooltip-autocomplete li', (li) => li.map((l) => l.textContent ?? ''))).toEqual(expect.arrayContaining([expect.stringContaining('NTANetAnalytics')]));
    await page.click('.cm-tooltip-autocomplete li:has-text("NTANetAnalytics")');
    await page.keyboard.insertText(' GROUP BY FlowType ORDER BY b DESC, FlowType');
    await page.keyboard.press('Escape');
    expect(await page.textContent('#query-editor .cm-content')).toBe('SELECT FlowType, sum(BytesSrcToDest) AS b FROM NTANetAnalytics GROUP BY FlowType ORDER BY b DESC, FlowType');
    await shot('query-editor');
    await runQuery();
    const expected = await sql('SELECT FlowType, sum(BytesSrcToDest) AS b FROM NTANetAnalytics GROUP BY FlowType ORDER BY b DESC, FlowType');
    expect((await tableValues('query-result')).map((r) => [r.FlowType, Number(r.b)])).toEqual(expected.map((r) => [r[0], Number(r[1])]));

    // Completion knows the columns of the table named in the query.
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' -- Deni');
    await page.keyboard.press('Control+Space');
    await page.waitForSelector('.cm-tooltip-autocomplete');
    expect(await page.$$eval('.cm-tooltip-autocomplete li', (li) => li.map((l) => l.textContent ?? ''))).toEqual(expect.arrayContaining([expect.stringContaining('DeniedInFlows')]));
    await page.keyboard.press('Escape');

    // A write is refused with a clear message shown to the user.
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('DELETE FROM flow_tuples');
    await page.click('#run-query');
    await page.waitForSelector('#query-output .error');
    expect(await page.textContent('#query-output .error')).toMatch(/read-only/);
    await shot('query-refused');
  });

  it('Query: a KQL query with render draws a chart when the translator is present', async () => {
    await gotoView('query');
    const info = await page.evaluate(() => fetch('/api/info').then((r) => r.json() as Promise<{ kql: boolean }>));
    const kqlOption = await page.$eval('#query-language option[value="kql"]', (o) => ({ disabled: (o as HTMLOptionElement).disabled, text: o.textContent }));
    if (!info.kql) {
      // Until src/query lands the option says why it is off; the API answers 501.
      expect(kqlOption).toEqual({ disabled: true, text: 'KQL (translator not available)' });
      const res = await page.evaluate(() => fetch('/api/query', { method: 'POST', body: JSON.stringify({ language: 'kql', text: 'NTANetAnalytics | take 1' }) }).then((r) => r.status));
      expect(res).toBe(501);
      return;
    }
    await page.selectOption('#query-language', 'kql');
    const editor = page.locator('#query-editor .cm-content');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('NTANetAnalytics | summarize Flows = sum(AllowedInFlows + AllowedOutFlows + DeniedInFlows + DeniedOutFlows) by FlowType | sort by Flows desc | render columnchart');
    await page.keyboard.press('Escape');
    await runQuery();
    const expected = await sql(`SELECT FlowType, sum(${FLOWS}) AS f FROM NTANetAnalytics GROUP BY FlowType ORDER BY f DESC`);
    expect((await tableValues('query-result')).map((r) => [r.FlowType, Number(r.Flows)]).sort()).toEqual(expected.map((r) => [r[0], Number(r[1])]).sort());
    expect(await page.$$eval('#query-output [role="img"] canvas', (c) => c.length)).toBe(1);
    await shot('query-kql-chart');
  });

  it('Coverage: shows the planner result or says clearly that it is not available', async () => {
    await gotoView('coverage');
    // The planner's own table for this scenario, computed here, is what the view shows.
    const table = coverageTable(coverage(scenario, { profile: 'ga' }));
    const shown = await page.$$eval('main table', (tables) => {
      const t = tables.find((x) => x.querySelector('caption')?.textContent === 'What each flow-log type records');
      return t ? [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)) : null;
    });
    expect(shown).toEqual(table.rows.map((r) => [r.title, ...table.columns.map((c) => `${r.cells[c.key].value} (${r.cells[c.key].recorded}/${r.cells[c.key].total})`)]));
    await shot('coverage');
  });
});

describe('keyboard navigation', () => {
  /** Tabs through the page and returns the controls that received focus. */
  async function tabThrough(presses: number): Promise<Set<string>> {
    await page.evaluate(() => {
      document.querySelectorAll('[data-kb]').forEach((e) => e.removeAttribute('data-kb'));
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await page.focus('body');
    const seen = new Set<string>();
    for (let i = 0; i < presses; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        if (!a || a === document.body) return '';
        a.setAttribute('data-kb', '1');
        return a.tagName;
      });
      if (id) seen.add(id);
    }
    return seen;
  }

  /** Visible, enabled controls that are not reached by Tab. */
  async function unreached(): Promise<string[]> {
    return page.$$eval(
      'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"]), .cm-content',
      (els) =>
        els
          .filter((e) => {
            const h = e as HTMLElement;
            const r = h.getBoundingClientRect();
            const hiddenByAncestor = h.closest('[hidden], dialog:not([open]), details:not([open]) > :not(summary)');
            return r.width > 0 && r.height > 0 && !hiddenByAncestor && !(h as HTMLButtonElement).disabled && !h.hasAttribute('data-kb');
          })
          .map((e) => `${e.tagName}${e.id ? '#' + e.id : ''}${(e as HTMLElement).dataset.view ? '[' + (e as HTMLElement).dataset.view + ']' : ''} ${(e.textContent ?? '').trim().slice(0, 30)}`),
    );
  }

  it('reaches every control of every view with Tab, and Enter on a nav link opens the view', async () => {
    for (const view of ['overview', 'topology', 'rules', 'flows', 'public-ips', 'query', 'coverage']) {
      await gotoView(view);
      const count = await page.$$eval('a[href], button, input, select, [tabindex]:not([tabindex="-1"]), .cm-content', (e) => e.length);
      await tabThrough(count + 10);
      expect({ view, missed: await unreached() }).toEqual({ view, missed: [] });
    }
    await gotoView('overview');
    await page.focus('#nav a[data-view="rules"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-view="rules"][aria-busy="false"] table[data-table="rule-hits"]', { state: 'attached' });
    expect(await page.getAttribute('#nav a[data-view="rules"]', 'aria-current')).toBe('page');
    // Tab leaves the query editor instead of being captured by it.
    await gotoView('query');
    await page.focus('#query-editor .cm-content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('#query-editor') === null)).toBe(true);
  });
});
