import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldenView } from '../../../src/golden/index.js';
import type { HealthCase } from '../../../src/health/index.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, collectPageErrors, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.js';

const SCREENSHOTS = path.join(REPO_ROOT, 'test/e2e/__screenshots__');
/** The health page's screenshot as the README shows it. */
const DOCS_HEALTH_PNG = path.join(REPO_ROOT, 'docs/health-page.png');
const AGENT_TOKEN = 'e2e-console-agent-5d1c0b7e';
const AGENT_NAME = 'desk-agent-1';
const ADMIN_TOKEN = 'e2e-console-admin-93a4f2c1';
/** The zone the agent's browser runs in: every time on the page must say UTC+8. */
const BROWSER_ZONE = 'Asia/Shanghai';
const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

interface Row {
  id: string;
  severity: string;
  openedAt: string;
  status: string;
  rule: string;
}

/** The queue's sort key, as the API documents it: severity, then opened_at, then case_id. */
function compareRows(a: Row, b: Row): number {
  return (SEVERITY_RANK[a.severity]! - SEVERITY_RANK[b.severity]!) || (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The agent console in a real browser (Debian's chromium driven by playwright-core) against
 * `orderlake start` in embedded mode as a user runs it: the built-in simulator's traffic, the
 * health rules opening cases, the API and the live feed. The case queue, the order card (cases,
 * carrier scans, times with their zone, address change, after-sales item names) and the health page.
 */
describe('agent console: case queue, order card and health page (browser, simulator)', () => {
  let dataDir: string;
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  async function api<T = any>(pathAndQuery: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${base}${pathAndQuery}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function activeCases(query = ''): Promise<HealthCase[]> {
    const res = await api<{ cases: HealthCase[] }>(`/cases?limit=1000${query}`);
    expect(res.status).toBe(200);
    return res.body.cases;
  }

  /** The first row of an analyst query (POST /sql, JSONEachRow), or null when there is none yet. */
  async function sqlFirst<T>(query: string): Promise<T | null> {
    const res = await fetch(`${base}/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, format: 'JSONEachRow' }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = (await res.text()).trim();
    if (res.status !== 200) throw new Error(`POST /sql: ${res.status} ${text}`);
    return text ? (JSON.parse(text.split('\n')[0]!) as T) : null;
  }

  async function openBySearch(orderId: string): Promise<void> {
    await page.fill('#search-input', orderId);
    await page.press('#search-input', 'Enter');
    await page.waitForFunction((id) => document.getElementById('order-id')?.textContent === id && !document.getElementById('card')!.hidden, orderId);
  }

  /** The queue as the page shows it, top to bottom. */
  async function rows(): Promise<Row[]> {
    return page.locator('#queue-list > li').evaluateAll((items) =>
      items.map((li) => {
        const d = (li as HTMLElement).dataset;
        return { id: d.caseId!, severity: d.severity!, openedAt: d.openedAt!, status: d.status!, rule: d.rule! };
      }),
    );
  }

  async function showView(view: 'queue' | 'order' | 'health'): Promise<void> {
    await page.click(`#tab-${view}`);
    await page.waitForSelector(`#view-${view}:not([hidden])`);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-case-console-'));
    const authFile = path.join(dataDir, 'auth.json');
    await writeFile(
      authFile,
      JSON.stringify({ tokens: [{ token: AGENT_TOKEN, role: 'agent', name: AGENT_NAME }, { token: ADMIN_TOKEN, role: 'admin', name: 'e2e-admin' }] }),
    );
    server = await startConsoleServer({ dataDir, authFile, env: { ORDERLAKE_SIM_RATE: '150', LOG_LEVEL: 'warn' }, timeoutMs: 120_000, describe: 'orderlake start to be ready' });
    base = server.base;
    // The simulator's stories need a little while to open cases of more than one severity.
    await waitFor(async () => new Set((await activeCases()).map((c) => c.severity)).size >= 2 && (await activeCases()).length >= 8, {
      timeoutMs: 150_000,
      intervalMs: 1000,
      describe: 'the simulator to open cases of two severities',
    });

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: BROWSER_ZONE });
    page = await context.newPage();
    // A tracking number is first tried as an order id: that one 404 is the search working as designed.
    collectPageErrors(page, pageErrors, (response) => response.status() === 404 && /\/orders\/[^/?]+$/.test(new URL(response.url()).pathname));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('opens on the case queue, live, with the simulator\'s cases in a stable order and their playbooks', async () => {
    await page.goto(`${base}/#token=${AGENT_TOKEN}`);
    await page.waitForSelector('#live[data-state="live"]');
    await page.waitForSelector('#view-queue:not([hidden])');
    await page.waitForFunction(() => document.querySelectorAll('#queue-list > li').length >= 8);
    // Live over the feed's cases stream, not read again every few seconds.
    expect(await page.textContent('#queue-note')).not.toContain('no live case stream');

    const shown = await rows();
    expect(shown.every((r) => r.status === 'open' || r.status === 'acknowledged')).toBe(true);
    expect([...shown].sort(compareRows).map((r) => r.id)).toEqual(shown.map((r) => r.id));
    expect(await page.textContent('#queue-count')).toBe(String(shown.length));

    // Each case is one the API lists, with its rule's playbook on the row. The API reads ClickHouse,
    // which the case lane reaches a flush after the live push: wait until it lists them.
    const first = shown.slice(0, 10).map((r) => r.id);
    const byId = await waitFor(
      async () => {
        const listed = new Map((await activeCases('&status=all')).map((c) => [c.case_id, c]));
        return first.every((id) => listed.has(id)) ? listed : null;
      },
      { timeoutMs: 20_000, intervalMs: 250, describe: `the API to list the cases ${first.join(', ')}` },
    );
    for (const row of shown.slice(0, 10)) {
      const c = byId.get(row.id);
      expect(c, row.id).toBeDefined();
      expect(row.rule).toBe(c!.rule);
      const steps = await page.locator(`#queue-list > li[data-case-id="${row.id}"] details.playbook li`).allTextContents();
      expect(steps.map((s) => s.replace(/\s*open$/, ''))).toEqual(c!.playbook.map((p) => p.step));
      // Its times say their zone.
      expect(await page.locator(`#queue-list > li[data-case-id="${row.id}"] .c-when time`).first().textContent()).toMatch(/ UTC\+8$/);
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'case-queue.png') });
  });

  it('keeps its order while live updates arrive: new cases take their sorted place, resolved ones leave, nothing else moves', async () => {
    // Every state the list passes through in 6 s of live traffic, recorded on each DOM change.
    const snapshots = await page.evaluate(
      () =>
        new Promise<Array<Array<{ id: string; severity: string; openedAt: string; status: string; rule: string }>>>((resolve) => {
          const list = document.getElementById('queue-list')!;
          const states: Array<Array<{ id: string; severity: string; openedAt: string; status: string; rule: string }>> = [];
          const take = () =>
            states.push([...list.children].map((li) => {
              const d = (li as HTMLElement).dataset;
              return { id: d.caseId!, severity: d.severity!, openedAt: d.openedAt!, status: d.status!, rule: d.rule! };
            }));
          take();
          const observer = new MutationObserver(take);
          observer.observe(list, { childList: true });
          setTimeout(() => {
            observer.disconnect();
            take();
            resolve(states);
          }, 6000);
        }),
    );
    const changes = snapshots.filter((s, i) => i > 0 && s.map((r) => r.id).join() !== snapshots[i - 1]!.map((r) => r.id).join()).length;
    expect(changes, 'the queue should have changed live during the 6 s').toBeGreaterThan(0);
    for (const [i, state] of snapshots.entries()) {
      expect(state.every((r) => r.status !== 'resolved'), `state ${i}`).toBe(true);
      expect([...state].sort(compareRows).map((r) => r.id), `state ${i} sorted`).toEqual(state.map((r) => r.id));
      if (i === 0) continue;
      // Cases present before and after a change keep their order relative to each other.
      const previous = snapshots[i - 1]!.map((r) => r.id);
      const current = state.map((r) => r.id);
      const common = new Set(previous.filter((id) => current.includes(id)));
      expect(current.filter((id) => common.has(id)), `state ${i} vs ${i - 1}`).toEqual(previous.filter((id) => common.has(id)));
    }
  });

  it('acknowledges and assigns a case from the queue; the row changes in place and the API records the agent', async () => {
    const target = (await rows()).find((r) => r.status === 'open');
    expect(target).toBeDefined();
    const row = page.locator(`#queue-list > li[data-case-id="${target!.id}"]`);
    await row.hover();
    await row.locator('button[data-case-action="acknowledge"]').click();
    await page.waitForFunction((id) => document.querySelector<HTMLElement>(`#queue-list > li[data-case-id="${id}"]`)?.dataset.status === 'acknowledged', target!.id);
    expect(await row.locator('.case-status').textContent()).toBe('acknowledged');
    expect(await row.locator('button[data-case-action="acknowledge"]').count()).toBe(0);
    // Still in its sorted place.
    const after = await rows();
    expect([...after].sort(compareRows).map((r) => r.id)).toEqual(after.map((r) => r.id));

    await row.locator('button[data-case-action="assign"]').click();
    await page.waitForSelector('#assign-dialog[open]');
    await page.fill('#assign-input', 'night-shift-7');
    await page.click('#assign-form button[type="submit"]');
    await page.waitForFunction((id) => document.querySelector(`#queue-list > li[data-case-id="${id}"] .assignee`)?.textContent?.includes('night-shift-7'), target!.id);

    const stored = await api<HealthCase>(`/cases/${encodeURIComponent(target!.id)}`);
    expect(stored.status).toBe(200);
    expect(stored.body.status).toBe('acknowledged');
    expect(stored.body.assignee).toBe('night-shift-7');
    expect(stored.body.history.filter((h) => h.by === AGENT_NAME).map((h) => h.action)).toEqual(['acknowledged', 'assigned']);
  });

  it('drops a case once it is resolved', async () => {
    const target = (await rows()).at(-1)!;
    const resolved = await api<HealthCase>(`/cases/${encodeURIComponent(target.id)}/actions`, { method: 'POST', body: { action: 'resolve', note: 'e2e' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    await page.waitForFunction((id) => document.querySelector(`#queue-list > li[data-case-id="${id}"]`) === null, target.id, { timeout: 15_000 });
  });

  it('filters by severity and by rule', async () => {
    await page.locator('#filter-severity input[value="critical"]').uncheck();
    await page.waitForFunction(() => {
      const items = [...document.querySelectorAll<HTMLElement>('#queue-list > li')];
      return items.length > 0 && items.every((li) => li.dataset.severity !== 'critical');
    });
    expect(await page.textContent('#queue-summary [data-count="critical"]')).toBe('0 critical');
    const warnings = await rows();
    expect(new Set(warnings.map((r) => r.severity))).toEqual(new Set(['warning']));
    expect(await page.textContent('#queue-count')).toBe(String(warnings.length));

    await page.locator('#filter-severity input[value="critical"]').check();
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('#queue-list > li')].some((li) => li.dataset.severity === 'critical'));

    const rule = warnings[0]!.rule;
    await page.selectOption('#filter-rule', rule);
    await page.waitForFunction((r) => {
      const items = [...document.querySelectorAll<HTMLElement>('#queue-list > li')];
      return items.length > 0 && items.every((li) => li.dataset.rule === r);
    }, rule);
    await page.selectOption('#filter-rule', '');
    await page.waitForFunction(() => new Set([...document.querySelectorAll<HTMLElement>('#queue-list > li')].map((li) => li.dataset.rule)).size > 1);
  });

  it('opens an order from the queue: its cases, its carrier scans and last scan, every time with its zone', async () => {
    // An order with a case in the queue whose parcel the carrier has scanned.
    const picked = await waitFor(
      async () => {
        for (const c of await activeCases()) {
          if (c.order_id === null) continue;
          const timeline = await api<{ events: Array<{ source: string; event_time: string; type: string }> }>(`/orders/${encodeURIComponent(c.order_id)}/timeline`);
          const scans = timeline.body.events.filter((e) => e.source === 'tms');
          if (scans.length >= 2) return { c, scans };
        }
        return null;
      },
      { timeoutMs: 60_000, intervalMs: 2000, describe: 'a case of an order with carrier scans' },
    );
    const orderId = picked.c.order_id!;
    await showView('queue');
    await page.selectOption('#filter-rule', picked.c.rule);
    await page.locator(`#queue-list > li[data-case-id="${picked.c.case_id}"] button[data-order]`).click();
    await page.waitForFunction((id) => document.getElementById('order-id')?.textContent === id && !document.getElementById('card')!.hidden, orderId);
    expect(await page.inputValue('#search-input')).toBe(orderId);

    // Its cases, from GET /orders/{id}/cases.
    const cases = (await api<{ cases: HealthCase[] }>(`/orders/${encodeURIComponent(orderId)}/cases`)).body.cases;
    await page.waitForFunction((n) => document.querySelectorAll('#order-cases tr[data-key]').length === n, cases.length);
    expect(await page.locator(`#order-cases tr[data-key="${picked.c.case_id}"]`).textContent()).toContain(picked.c.rule);

    // Carrier scans, newest first, and the last one at a glance: the card agrees with the timeline
    // (the parcel may still move meanwhile: the card follows it live, so compare until both agree).
    type Entry = { source: string; event_time: string; type: string };
    const scans = await waitFor(
      async () => {
        const apiScans = (await api<{ events: Entry[] }>(`/orders/${encodeURIComponent(orderId)}/timeline`)).body.events.filter((e) => e.source === 'tms');
        const shownTimes = await page.locator('#scans tr[data-key] time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime')));
        const lastShown = await page.locator('#last-scan-time time').getAttribute('datetime').catch(() => null);
        const lastCode = ((await page.textContent('#last-scan-code').catch(() => null)) ?? '').replace(/ /g, '_').toUpperCase();
        const expected = apiScans.map((e) => e.event_time).reverse();
        const agree = JSON.stringify(shownTimes) === JSON.stringify(expected) && lastShown === expected[0] && lastCode === apiScans.at(-1)?.type;
        return agree ? apiScans : null;
      },
      { timeoutMs: 20_000, intervalMs: 500, describe: 'the card\'s carrier scans to match the order timeline' },
    );
    expect(scans.length).toBeGreaterThanOrEqual(2);

    // Every time on the card says its zone: the browser's (UTC+8) ...
    const zones = await page.locator('#card time').evaluateAll((els) => els.map((el) => el.textContent ?? ''));
    expect(zones.length).toBeGreaterThan(8);
    for (const shown of zones) expect(shown).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC\+8$/);
    // Each shows its instant in that zone (China: UTC+8, no summer time).
    const shownTimes = await page.locator('#card time').evaluateAll((els) => els.map((el) => [el.getAttribute('datetime')!, el.textContent ?? ''] as const));
    for (const [iso, shown] of shownTimes) {
      const inShanghai = new Date(Date.parse(iso) + 8 * 3600_000).toISOString();
      expect(shown, iso).toMatch(new RegExp(`^${inShanghai.slice(0, 10)} ${inShanghai.slice(11, 16)}(:\\d{2})? UTC\\+8$`));
    }
    // ... or UTC, when the agent picks it.
    await page.selectOption('#zone', 'UTC');
    await page.waitForFunction(() => [...document.querySelectorAll('#card time')].every((el) => / UTC$/.test(el.textContent ?? '')));
    for (const [iso, shown] of await page.locator('#card time').evaluateAll((els) => els.map((el) => [el.getAttribute('datetime')!, el.textContent ?? ''] as const))) {
      const utc = new Date(Date.parse(iso)).toISOString();
      expect(shown, iso).toMatch(new RegExp(`^${utc.slice(0, 10)} ${utc.slice(11, 16)}(:\\d{2})? UTC$`));
    }
    await page.selectOption('#zone', 'local');
    await page.waitForFunction(() => [...document.querySelectorAll('#card time')].every((el) => / UTC\+8$/.test(el.textContent ?? '')));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-card.png'), fullPage: true });
  });

  it('shows an address change on the card: the old and the new address, and when', async () => {
    // The simulator's address-change stories: an order whose ship-to changed.
    const { order_id: orderId } = await waitFor(
      () => sqlFirst<{ order_id: string }>("SELECT order_id FROM orderlake.golden_orders FINAL WHERE is_deleted = 0 AND JSONExtractInt(view, 'address_changes') > 0 ORDER BY order_id LIMIT 1"),
      { timeoutMs: 60_000, intervalMs: 2000, describe: 'an order with an address change' },
    );
    const view = (await api<GoldenView>(`/orders/${encodeURIComponent(orderId)}`)).body;
    // What the card must show, from the CRM order images of the timeline (row version order).
    type Entry = { kind: string; event_time: string; details: { row_version: number; ship_to: Record<string, string | null> } | null };
    const images = (await api<{ events: Entry[] }>(`/orders/${encodeURIComponent(orderId)}/timeline`)).body.events
      .filter((e) => e.kind === 'crm_order' && e.details?.ship_to)
      .sort((a, b) => a.details!.row_version - b.details!.row_version);
    const changes = images.flatMap((e, i) => (i > 0 && JSON.stringify(e.details!.ship_to) !== JSON.stringify(images[i - 1]!.details!.ship_to) ? [{ at: e.event_time, from: images[i - 1]!.details!.ship_to, to: e.details!.ship_to }] : []));
    expect(changes.length).toBe(view.address_changes);

    await openBySearch(orderId);
    await page.waitForSelector('#ship-to .address-change');
    const shown = page.locator('#ship-to .address-change');
    expect(await shown.count()).toBe(changes.length);
    // Newest change first.
    for (const [i, change] of [...changes].reverse().entries()) {
      const item = shown.nth(i);
      expect(await item.locator('time').getAttribute('datetime')).toBe(change.at);
      expect(await item.locator('time').textContent()).toMatch(/ UTC\+8$/);
      const oldText = (await item.locator('.old').textContent())!;
      const newText = (await item.locator('.new').textContent())!;
      for (const field of ['name', 'city', 'line'] as const) {
        expect(oldText).toContain(change.from[field]!);
        expect(newText).toContain(change.to[field]!);
      }
    }
    expect(await shown.first().locator('.new').textContent()).toContain(view.ship_to!.line);
  });

  it('names the item on after-sales rows', async () => {
    const { order_id: orderId } = await waitFor(
      () => sqlFirst<{ order_id: string }>("SELECT order_id FROM orderlake.golden_orders FINAL WHERE is_deleted = 0 AND JSONLength(view, 'after_sales') > 0 ORDER BY order_id LIMIT 1"),
      { timeoutMs: 120_000, intervalMs: 2000, describe: 'an order with an after-sales case' },
    );
    const view = (await api<GoldenView>(`/orders/${encodeURIComponent(orderId)}`)).body;
    await openBySearch(orderId);
    const names = new Map(view.lines.map((l) => [l.sku, l.name]));
    expect(view.after_sales.some((a) => names.has(a.sku))).toBe(true);
    expect(await page.locator('#after-sales tr[data-key]').count()).toBe(view.after_sales.length);
    for (const afterSales of view.after_sales) {
      const item = await page.locator(`#after-sales tr[data-key="${afterSales.case_id}"] .item-name`).first().textContent();
      expect(item).toContain(afterSales.sku);
      if (names.has(afterSales.sku)) expect(item).toContain(names.get(afterSales.sku));
    }
  });

  it('shows the health figures as charts, refreshed live, and takes the screenshot', async () => {
    await showView('health');
    const first = await waitFor(() => page.locator('#view-health').getAttribute('data-generated-at'), { timeoutMs: 20_000, describe: 'the health figures' });
    const health = (await api<any>('/insights/health')).body;

    // On-time delivery: a mark (a line's point, or a bar while there are few days) for channels and
    // days the API reports, at its rate; figures only grow meanwhile, so each mark is still there.
    const otdMarks = await page.locator('#chart-otd [data-value]').evaluateAll((els) => els.map((el) => [el.getAttribute('data-series')!, el.getAttribute('data-label')!, Number(el.getAttribute('data-value'))] as const));
    expect(otdMarks.length).toBeGreaterThan(0);
    const otdKnown = new Map(health.otd.map((r: { channel: string; day: string; otd_rate: number | null }) => [`${r.channel}|${r.day}`, r.otd_rate]));
    for (const [series, labelled] of otdMarks) {
      const key = /^\d{4}-\d{2}-\d{2}$/.test(series) ? `${labelled}|${series}` : `${series}|${labelled}`;
      expect([...otdKnown.keys()]).toContain(key);
    }
    // Cases by rule: a row per rule, the open segment as the API counts it (figures move on live).
    const caseRows = await page.locator('#chart-cases .row-label title').allTextContents();
    expect(caseRows.length).toBeGreaterThan(0);
    for (const rule of caseRows) expect(health.cases_by_rule.map((r: { rule: string }) => r.rule)).toContain(rule);
    // Freshness: p50, p99 and lag for each source that sent events.
    const freshness = await page.locator('#chart-freshness rect[data-series]').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-label')}/${el.getAttribute('data-series')}`));
    for (const source of health.freshness.map((f: { source: string }) => f.source.toUpperCase())) {
      for (const series of ['p50', 'p99', 'lag now']) expect(freshness).toContain(`${source}/${series}`);
    }
    // Cancellations and returns per channel.
    const channels = await page.locator('#chart-cancellations rect[data-series="cancelled"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-label')));
    expect(new Set(channels)).toEqual(new Set(health.cancellations.map((c: { channel: string }) => c.channel)));
    expect(await page.locator('#health-updated time').textContent()).toMatch(/ UTC\+8$/);

    // Live: the page reads the figures again by itself.
    await page.waitForFunction((t) => document.getElementById('view-health')!.dataset.generatedAt !== t, first, { timeout: 15_000 });

    await mkdir(SCREENSHOTS, { recursive: true });
    const shot = path.join(SCREENSHOTS, 'health-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    await mkdir(path.dirname(DOCS_HEALTH_PNG), { recursive: true });
    await copyFile(shot, DOCS_HEALTH_PNG);
    expect(pageErrors).toEqual([]);
  });
});
