import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxReport } from '../../../src/sandbox/index.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, collectPageErrors, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.js';

const SCREENSHOTS = path.join(REPO_ROOT, 'test/e2e/__screenshots__');
/** The sandbox page's screenshot as the README shows it. */
const DOCS_SANDBOX_PNG = path.join(REPO_ROOT, 'docs/sandbox-page.png');
const AGENT_TOKEN = 'e2e-sandbox-agent-7f2e91c4';
const ADMIN_TOKEN = 'e2e-sandbox-admin-0b6d35a8';
/** The admin's browser runs in China: the window inputs are read as UTC+8. */
const BROWSER_ZONE = 'Asia/Shanghai';
const WMS_FILE = 'wms-fulfillment.yaml';
/** Orders the simulator runs; then it stops, so production's tables hold still while the sandbox reads them. */
const SIM_ORDERS = 120;

/**
 * The console's sandbox page in a real browser (Debian's chromium driven by playwright-core)
 * against `orderlake start` in embedded mode fed by the built-in simulator: hidden from an agent;
 * an admin uploads one changed pipeline file (WMS: PACKED read as PICKED, REROUTED unknown), picks
 * the window in their zone, runs it, and reads the diff the API answered; a file that does not
 * load shows the loader's problems.
 */
describe('agent console: the sandbox page (browser, simulator)', () => {
  let dataDir: string;
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;
  let candidateWms: string;
  const pageErrors: string[] = [];

  async function newPage(zone = BROWSER_ZONE): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: zone });
    const page = await context.newPage();
    // The 400 of the broken file below is the page working as designed.
    collectPageErrors(page, pageErrors, (response) => response.status() === 400 && new URL(response.url()).pathname === '/admin/sandbox');
    return { context, page };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-console-'));
    const authFile = path.join(dataDir, 'auth.json');
    await writeFile(authFile, JSON.stringify({ tokens: [{ token: AGENT_TOKEN, role: 'agent', name: 'desk-agent-2' }, { token: ADMIN_TOKEN, role: 'admin', name: 'e2e-admin' }] }));
    const production = await readFile(path.join(REPO_ROOT, 'pipelines', WMS_FILE), 'utf8');
    candidateWms = production.replace('      PACKED: PACKED\n', '      PACKED: PICKED\n').replace('      REROUTED: REROUTED\n', '');
    expect(candidateWms).not.toBe(production);

    server = await startConsoleServer({
      dataDir,
      authFile,
      env: { ORDERLAKE_SIM_RATE: '400', ORDERLAKE_SIM_ORDERS: String(SIM_ORDERS), LOG_LEVEL: 'info' },
      ready: (output) => output.includes('simulation finished'),
      timeoutMs: 180_000,
      describe: `orderlake start to be ready and its ${SIM_ORDERS} simulated orders stored`,
    });
    base = server.base;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('is not offered to an agent', async () => {
    const { context, page } = await newPage();
    const asked = page.waitForResponse((r) => new URL(r.url()).pathname === '/whoami');
    await page.goto(`${base}/#token=${AGENT_TOKEN}&view=sandbox`);
    expect((await (await asked).json()).roles).toEqual(['agent']);
    await page.waitForSelector('#view-queue:not([hidden])');
    expect(await page.isHidden('#tab-sandbox')).toBe(true);
    expect(await page.isHidden('#view-sandbox')).toBe(true);
    await context.close();
  });

  it('lets an admin upload one changed pipeline file, run it over a window in their zone, and read the diff', async () => {
    const { page } = await newPage();
    await page.goto(`${base}/#token=${ADMIN_TOKEN}`);
    await page.waitForSelector('#tab-sandbox:not([hidden])');
    await page.click('#tab-sandbox');
    await page.waitForSelector('#view-sandbox:not([hidden])');
    expect(page.url()).toContain('#view=sandbox');
    // Uploads are laid over production's files, and the page says which.
    await page.waitForFunction(() => (document.getElementById('sb-production-pipelines')?.textContent ?? '').includes('wms-fulfillment.yaml'));
    expect(await page.textContent('#sandbox-state')).toMatch(/Production: \d+ pipeline files/);

    await page.setInputFiles('#sb-pipelines-files', { name: WMS_FILE, mimeType: 'application/yaml', buffer: Buffer.from(candidateWms) });
    await page.click('[data-window-hours="1"]');
    expect(await page.textContent('#sb-zone')).toBe('UTC+8 (Asia/Shanghai)');
    const [fromInput, toInput] = [await page.inputValue('#sb-from'), await page.inputValue('#sb-to')];
    expect(fromInput).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);

    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/sandbox' && r.request().method() === 'POST', { timeout: 120_000 });
    await page.click('#sb-run');
    // Busy while it runs: one run at a time from this page too.
    await page.waitForSelector('#sb-run.busy[disabled]');
    const response = await answered;
    expect(response.status()).toBe(200);
    const sent = JSON.parse(response.request().postData()!) as { from: string; to: string; pipelines: { files: Array<{ name: string; text: string }> } };
    // The window typed in UTC+8 is the instant sent.
    expect(sent.from).toBe(new Date(`${fromInput}:00+08:00`).toISOString());
    expect(sent.to).toBe(new Date(`${toInput}:00+08:00`).toISOString());
    expect(sent.pipelines.files).toEqual([{ name: WMS_FILE, text: candidateWms }]);
    const report = (await response.json()) as SandboxReport;
    expect(report.orders.length).toBeGreaterThan(3);
    expect(report.totals.orders_compared).toBeGreaterThanOrEqual(report.orders.length);
    expect(report.pipelines).toContain(`uploaded ${WMS_FILE}`);

    await page.waitForSelector('#sandbox-result:not([hidden]) #sandbox-orders');
    await page.waitForSelector('#sb-run:not([disabled])');
    // Every changed order the API answered is listed, in its order.
    const listed = await page.locator('#sandbox-orders li.sb-order').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.orderId));
    expect(listed).toEqual(report.orders.slice(0, 200).map((o) => o.order_id));
    expect(await page.textContent('[data-total="orders_changed"] .v')).toBe(String(report.totals.orders_changed));
    expect(await page.textContent('[data-total="orders_compared"] .v')).toBe(report.totals.orders_compared.toLocaleString('en-US'));
    // Each field of the first order: production's value → the candidate's.
    const first = report.orders[0]!;
    const rows = page.locator(`#sandbox-orders li[data-order-id="${first.order_id}"] tr[data-path]`);
    expect(await rows.count()).toBe(Math.min(first.fields.length, 60));
    const field = first.fields[0]!;
    const row = rows.first();
    expect(await row.getAttribute('data-path')).toBe(field.path);
    expect(await row.locator('td.before').textContent()).toBe(field.before === undefined ? '(absent)' : JSON.stringify(field.before));
    expect(await row.locator('td.after').textContent()).toBe(field.after === undefined ? '(absent)' : JSON.stringify(field.after));
    // Status moves and dead letters as the report counts them; REROUTED is unknown to the candidate.
    expect(await page.locator('#sandbox-moves tr[data-from]').count()).toBe(report.status_moves.length);
    expect(await page.locator('#sandbox-dead-created tr[data-key]').count()).toBe(Math.min(report.dead_letters.created.length, 200));
    // The window and times say their zone; the cases section is shown as the report has it.
    expect(await page.locator('.sb-head time').first().textContent()).toMatch(/ UTC\+8$/);
    expect(await page.locator('#sandbox-cases').count()).toBe(report.cases === undefined ? 0 : 1);

    await mkdir(SCREENSHOTS, { recursive: true });
    const shot = path.join(SCREENSHOTS, 'sandbox-page.png');
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.screenshot({ path: shot, fullPage: true, clip: { x: 0, y: 0, width: 1440, height: Math.min(height, 2000) } });
    await mkdir(path.dirname(DOCS_SANDBOX_PNG), { recursive: true });
    await copyFile(shot, DOCS_SANDBOX_PNG);

    // A changed order opens on the order card.
    await page.locator(`#sandbox-orders button[data-order="${first.order_id}"]`).click();
    await page.waitForFunction((id) => document.getElementById('order-id')?.textContent === id && !document.getElementById('card')!.hidden, first.order_id);

    // A candidate file that does not load: the loader's code and problems, and the form is usable again.
    await page.click('#tab-sandbox');
    await page.waitForSelector('#view-sandbox:not([hidden])');
    await page.setInputFiles('#sb-pipelines-files', { name: WMS_FILE, mimeType: 'application/yaml', buffer: Buffer.from(candidateWms.replace(/^topic: .*$/m, 'topic: [unclosed')) });
    const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/sandbox' && r.request().method() === 'POST');
    await page.click('#sb-run');
    expect((await refused).status()).toBe(400);
    await page.waitForSelector('#sandbox-error:not([hidden])');
    const error = (await page.textContent('#sandbox-error'))!;
    expect(error).toContain('OL_ERR_PIPELINE_INVALID');
    expect(error).toContain(`pipelines/${WMS_FILE}:`);
    expect(await page.isEnabled('#sb-run')).toBe(true);

    // A name the server would refuse is caught before anything is sent.
    await page.setInputFiles('#sb-pipelines-files', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
    await page.click('#sb-run');
    await page.waitForFunction(() => (document.getElementById('sandbox-error')?.textContent ?? '').includes('notes.txt: only .yaml or .yml files'));
    expect(pageErrors).toEqual([]);
  });
});
