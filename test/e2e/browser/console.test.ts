import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../../src/main.js';
import type { RawMessage } from '../../../src/pipeline/raw-message.js';
import { readReplayFile } from '../../../src/sources/replay-file.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';
import { AGENT_TOKEN, startApiWithFeed, type ApiWithFeed } from '../../integration/ws/support/api-with-feed.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../helpers/console-server.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/contract/forty-orders-shuffled.jsonl');
const SCREENSHOT = path.join(REPO_ROOT, 'test/e2e/__screenshots__/console.png');
const ORDER = 'SO-000001';
const TMS_TOPIC = 'tms.tracking.events';

/**
 * The agent console in a real browser (Debian's chromium driven by playwright-core) against the
 * real API and feed, over the embedded pipeline and chDB loaded with a contract example. A tracking
 * event pushed through the pipeline must show on the open card — updated and flashing — without a
 * reload.
 */
describe('agent console (browser)', () => {
  let dataDir: string;
  let runtime: EmbeddedRuntime;
  let api: ApiWithFeed;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let offset = 10_000;

  /** Types a query into the search box and submits it, as an agent does. */
  async function search(query: string): Promise<void> {
    await page.fill('#search-input', query);
    await page.press('#search-input', 'Enter');
  }

  /** Searches and waits for the card of `orderId`, however the card showed before. */
  async function searchAndOpen(query: string, orderId: string): Promise<void> {
    await page.evaluate(() => {
      document.getElementById('order-id')!.textContent = '';
    });
    await search(query);
    await page.waitForFunction((id) => document.getElementById('order-id')?.textContent === id && !document.getElementById('card')!.hidden, orderId);
  }

  async function push(topic: string, schema: string, key: string, value: Record<string, unknown>): Promise<void> {
    const message: RawMessage = {
      topic,
      partition: 0,
      offset: String(offset++),
      timestamp: Date.now(),
      key: await runtime.codec.encoder.encodeKey(topic, key),
      value: await runtime.codec.encoder.encode(topic, schema, value),
    };
    const result = await runtime.pipeline.process([message]);
    expect(result.deadLetters).toBe(0);
    await runtime.storage.sink.flush();
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-console-'));
    const logger = pino({ level: 'silent' });
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: dataDir }, REPO_ROOT);
    const database = 'orderlake_console_test';
    const dataPath = path.join(dataDir, 'lake');
    runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, recreate: true });
    const batch: RawMessage[] = [];
    for await (const item of readReplayFile(FIXTURE, runtime.codec.encoder)) {
      if (item.type === 'rejected') throw new Error(`fixture line ${item.line}: ${item.error.message}`);
      batch.push(item.message);
    }
    await runtime.pipeline.process(batch);
    await runtime.storage.sink.flush();
    api = await startApiWithFeed({ logger, metrics: runtime.metrics, store: runtime.store, feed: runtime.feed, client: runtime.storage.client, database, dataPath });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
    });
    // A tracking number is first tried as an order id: that one 404 is the search working as designed.
    page.on('response', (response) => {
      const lookupMiss = response.status() === 404 && /\/orders\/[^/?]+$/.test(new URL(response.url()).pathname);
      if (response.status() >= 400 && !lookupMiss) pageErrors.push(`HTTP ${response.status()} ${response.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await runtime?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('takes the token from the fragment, goes live and opens on the case queue', async () => {
    await page.goto(`${api.baseUrl}/#token=${AGENT_TOKEN}`);
    await page.waitForSelector('#live[data-state="live"]');
    expect(page.url()).not.toContain(AGENT_TOKEN);
    expect(await page.evaluate(() => sessionStorage.getItem('orderlake.token'))).toBe(AGENT_TOKEN);
    // The queue replaces the old "orders with exceptions" list (test/e2e/browser/case-console.test.ts drives it).
    await page.waitForSelector('#view-queue:not([hidden])');
    expect(await page.locator('#exception-list').count()).toBe(0);
  });

  it('finds an order by id, by phone and by tracking or fulfillment number, however they are typed', async () => {
    const view = runtime.store.get(ORDER)!;
    const phone = view.customer!.phone;
    const [a, b, c] = [phone.slice(0, 3), phone.slice(3, 7), phone.slice(7)];
    const tracking = view.shipments[0]!.tracking_no;
    const searches = [
      ORDER,
      ORDER.toLowerCase(),
      `  ${ORDER.toLowerCase()} `,
      phone,
      `+86 ${a} ${b} ${c}`,
      `${a}-${b}-${c}`,
      `(+86) ${a}.${b}.${c}`,
      tracking,
      tracking.toLowerCase(),
      view.fulfillments[0]!.fulfillment_id.toLowerCase(),
    ];
    for (const query of searches) await searchAndOpen(query, ORDER);
    expect(await page.textContent('#status')).toBe(view.status!.replace(/_/g, ' ').toLowerCase());
    expect(await page.textContent('#version')).toContain(`version ${view.version}`);
    expect(await page.locator('#shipments tr[data-key]').count()).toBe(view.shipments.length);
    expect(await page.locator('#milestones .step.done').count()).toBeGreaterThanOrEqual(4);
    expect(page.url()).toContain(`#order=${ORDER}`);
  });

  it('takes the previous order off the screen when a lookup finds nothing or fails', async () => {
    const view = runtime.store.get(ORDER)!;
    // What would let an agent read ORDER's details out to the next caller.
    const traces = [ORDER, view.customer!.name, view.customer!.phone, view.ship_to!.phone, view.ship_to!.line, view.shipments[0]!.tracking_no, view.lines[0]!.sku];
    async function expectNoTraceOfOrder(context: string): Promise<void> {
      // textContent includes hidden elements: nothing of the order may linger in the page at all.
      // (The case queue, another view, may list the order's cases: that is work, not a leftover.)
      const shown = `${(await page.locator('#notice').textContent()) ?? ''}${(await page.locator('#view-order').textContent()) ?? ''}`;
      for (const trace of traces) expect(shown, `${context}: ${trace}`).not.toContain(trace);
      expect(await page.locator('#card').isHidden(), context).toBe(true);
      expect(await page.locator('#card [data-key]').count(), context).toBe(0);
      expect(page.url(), context).not.toContain(ORDER);
    }

    for (const missing of ['SO-404404', 'so-404404', '+86 199 0000 0000', 'NO-SUCH-TRACKING-1']) {
      await searchAndOpen(ORDER, ORDER);
      await search(missing);
      await page.waitForFunction((q) => document.getElementById('notice')!.textContent === `No order found for "${q}".`, missing);
      await expectNoTraceOfOrder(missing);
    }

    // A lookup that fails (here the network) must not leave the previous card either.
    await searchAndOpen(ORDER, ORDER);
    const orderRequests = /\/orders[/?]/;
    await page.route(orderRequests, (route) => route.abort());
    try {
      await search('SO-000002');
      await page.waitForFunction(() => document.getElementById('notice')!.dataset.kind === 'error' && !document.getElementById('notice')!.hidden);
      await expectNoTraceOfOrder('network failure');
    } finally {
      await page.unroute(orderRequests);
    }
  });

  it('opens an order clicked in the case queue, with its id in the search box', async () => {
    const phone = runtime.store.get(ORDER)!.customer!.phone;
    await searchAndOpen(`+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`, ORDER);
    // This API runs no health stage of its own: the queue reads the stored cases (GET /cases).
    await page.click('#tab-queue');
    const other = await waitFor(
      () => page.locator('#queue-list button[data-order]').evaluateAll((buttons, open) => buttons.map((b) => (b as HTMLElement).dataset.order!).find((id) => id !== open), ORDER),
      { timeoutMs: 30_000, describe: 'a case of another order in the queue' },
    );
    await page.click(`#queue-list button[data-order="${other}"] >> nth=0`);
    await page.waitForFunction((id) => document.getElementById('order-id')?.textContent === id && !document.getElementById('card')!.hidden, other);
    expect(await page.isVisible('#view-order')).toBe(true);
    expect(await page.inputValue('#search-input')).toBe(other);
    expect(page.url()).toContain(`#order=${other}`);
    expect(await page.textContent('#notice')).toBe('');

    // Back to ORDER, by its id in lower case, for the live update that follows.
    await searchAndOpen(ORDER.toLowerCase(), ORDER);
    expect(page.url()).toContain(`#order=${ORDER}`);
  });

  it('applies a live tracking update to the open card, flashing what changed', async () => {
    const before = runtime.store.get(ORDER)!;
    const shipment = before.shipments[0]!;
    const lastTms = Date.parse(before.sources.tms!.last_event_at);
    await push(TMS_TOPIC, 'tms.tracking', shipment.tracking_no, {
      event_id: 'TE-console-exception-1',
      tracking_no: shipment.tracking_no,
      carrier_code: shipment.carrier,
      fulfillment_ref: null,
      order_ref: null,
      event_code: 'EXCEPTION',
      occurred_at: lastTms + 10 * 60_000,
      location: '杭州市',
      eta: null,
      exception_code: 'ADDRESS_ISSUE',
      signed_by: null,
    });
    const after = runtime.store.get(ORDER)!;
    expect(after.status).toBe('DELIVERY_EXCEPTION');
    expect(after.version).toBe(before.version + 1);

    await page.waitForFunction(() => {
      const badge = document.getElementById('status')!;
      return badge.textContent === 'delivery exception' && badge.classList.contains('flash');
    });
    expect(await page.textContent('#version')).toContain(`version ${after.version}`);
    expect(await page.locator('#exceptions .chip').allTextContents()).toEqual(after.exceptions.map((c) => c.replace(/_/g, ' ').toLowerCase()));
    expect(await page.locator(`#shipments tr[data-key="${shipment.tracking_no}"]`).textContent()).toContain('address issue');

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await push(TMS_TOPIC, 'tms.tracking', shipment.tracking_no, {
      event_id: 'TE-console-delivered-1',
      tracking_no: shipment.tracking_no,
      carrier_code: shipment.carrier,
      fulfillment_ref: null,
      order_ref: null,
      event_code: 'DELIVERED',
      occurred_at: lastTms + 20 * 60_000,
      location: '杭州市',
      eta: null,
      exception_code: null,
      signed_by: '本人',
    });
    const delivered = runtime.store.get(ORDER)!;
    expect(delivered.status).toBe('DELIVERED');
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'delivered');
    await page.waitForSelector('#milestones .step[data-field="delivered_at"].done');
    expect(await page.textContent('#version')).toContain(`version ${delivered.version}`);
    // The card's carrier scans follow the live change: the DELIVERED scan is the newest.
    await page.waitForFunction(() => document.getElementById('last-scan-code')?.textContent === 'delivered');
    expect(pageErrors).toEqual([]);
  });
});
