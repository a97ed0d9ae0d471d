import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime } from '../../../src/main.js';
import { createGoldenStore, createLocalRouter, createShipmentLinker } from '../../../src/golden/index.js';
import { createNormalizer, loadPipelines, type CanonicalEvent } from '../../../src/normalize/index.js';
import { runSandboxCommand } from '../../../src/runtime/run-sandbox.js';
import type { SandboxReport } from '../../../src/sandbox/index.js';
import { createClickHouseClient } from '../../../src/sinks/index.js';
import type { ReplayLine } from '../../../src/simulator/index.js';
import { encodeLinesFor } from '../../helpers/replay-into.js';
import { REPO_ROOT, generateScenario, stripVolatile } from '../../helpers/pipeline-run.js';
import { valueAt } from '../../helpers/view-path.js';

const WMS = 'wms.fulfillment.events';

/** Each line normalized with a pipelines folder: the event, or the error that would make it a dead letter. */
async function normalizeAll(dir: string, lines: readonly ReplayLine[]): Promise<Array<CanonicalEvent | null | Error>> {
  const normalizer = createNormalizer(await loadPipelines(dir));
  return lines.map((line, i) => {
    try {
      return normalizer.normalize(line.topic, line.value, { topic: line.topic, partition: 0, offset: String(i), timestamp: 0 });
    } catch (err) {
      return err as Error;
    }
  });
}

/** The pure merge of those events: the views, with volatile fields stripped. */
function viewsOf(events: ReadonlyArray<CanonicalEvent | null | Error>): Map<string, Record<string, unknown>> {
  const store = createGoldenStore({ now: () => 0 });
  const route = createLocalRouter(createShipmentLinker({ maxPending: 1e9, onOverflow: () => {} }));
  for (const event of events) {
    if (event === null || event instanceof Error) continue;
    store.applyBatch(route(event, 0).map((r) => ({ orderId: r.orderId, event: r.event })));
  }
  const views = new Map<string, Record<string, unknown>>();
  for (const id of store.orderIds()) {
    const view = store.get(id);
    if (view) views.set(id, stripVolatile(view) as Record<string, unknown>);
  }
  return views;
}

/** The order each line belongs to in production: named, or through the tracking number / fulfillment a WMS event links. */
function orderOfLines(events: ReadonlyArray<CanonicalEvent | null | Error>): Array<string | null> {
  const byKey = new Map<string, string>();
  for (const e of events) {
    if (e === null || e instanceof Error) continue;
    if (e.kind === 'wms') {
      byKey.set(`ff:${e.fulfillment_id}`, e.order_id);
      if (e.tracking_no) byKey.set(`tn:${e.tracking_no}`, e.order_id);
    } else if (e.kind === 'tms' && e.order_ref) byKey.set(`tn:${e.tracking_no}`, e.order_ref);
  }
  return events.map((e) => {
    if (e === null || e instanceof Error) return null;
    if (e.kind !== 'tms') return e.order_id;
    return e.order_ref ?? byKey.get(`tn:${e.tracking_no}`) ?? (e.fulfillment_ref ? byKey.get(`ff:${e.fulfillment_ref}`) : undefined) ?? null;
  });
}


/**
 * Traffic recorded by the embedded runtime (raw messages and all), then a candidate pipelines folder
 * whose WMS map sends PACKED to PICKED and no longer knows REROUTED: the sandbox must list exactly
 * the orders of the window whose views the pure merge changes with the candidate, with production's
 * and the candidate's values, and every REROUTED message of those orders as a dead letter created.
 */
describe('orderlake sandbox', () => {
  it('diffs a candidate status mapping against production for the orders of a window', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' }, REPO_ROOT);
    const logger = pino({ level: 'silent' });
    const dataPath = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-'));
    const database = 'sandbox_it';
    const lines = generateScenario({ seed: 913, orders: 250, startTime: Date.UTC(2026, 10, 22), duplicateRate: 0.05, shuffle: 'none', wmsV1Share: 0 });

    const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, recreate: true, health: false });
    const messages = await encodeLinesFor(runtime.codec.encoder, lines);
    for (let i = 0; i < messages.length; i += 300) await runtime.pipeline.process(messages.slice(i, i + 300));
    await runtime.storage.sink.flush();
    await runtime.close();

    // Raw storage: one row per message, bytes intact.
    const client = createClickHouseClient({ database, dataPath });
    const rs = await client.query({ query: `SELECT count() AS n, countIf(order_id = '') AS unknown FROM ${database}.raw_events FINAL`, format: 'JSONEachRow' });
    const [counts] = (await rs.json()) as Array<{ n: number | string; unknown: number | string }>;
    await client.close();
    expect(Number(counts!.n)).toBe(messages.length);
    expect(Number(counts!.unknown)).toBeGreaterThan(0); // tracking events found only through linking

    const candidate = await mkdtemp(path.join(tmpdir(), 'orderlake-candidate-'));
    await cp(path.join(REPO_ROOT, 'pipelines'), candidate, { recursive: true });
    const wmsFile = path.join(candidate, 'wms-fulfillment.yaml');
    const text = await readFile(wmsFile, 'utf8');
    const changed = text.replace('      PACKED: PACKED\n', '      PACKED: PICKED\n').replace('      REROUTED: REROUTED\n', '');
    expect(changed).not.toBe(text);
    await writeFile(wmsFile, changed);

    // The oracle: the pure merge of the same lines with the production and the candidate pipelines.
    const oldEvents = await normalizeAll(path.join(REPO_ROOT, 'pipelines'), lines);
    const newEvents = await normalizeAll(candidate, lines);
    const before = viewsOf(oldEvents);
    const after = viewsOf(newEvents);
    const orderOf = orderOfLines(oldEvents);
    const times = lines.map((l) => l.timestamp!).sort((a, b) => a - b);
    const from = times[Math.floor(times.length * 0.3)]!;
    const to = times[Math.floor(times.length * 0.6)]!;
    const inWindow = new Set<string>();
    lines.forEach((l, i) => {
      if (l.timestamp! >= from && l.timestamp! < to && orderOf[i]) inWindow.add(orderOf[i]!);
    });
    const expectedChanged = [...inWindow].filter((id) => !isDeepStrictEqual(before.get(id), after.get(id))).sort();
    expect(expectedChanged.length).toBeGreaterThan(3);
    expect(inWindow.size - expectedChanged.length).toBeGreaterThan(3); // the window also holds orders the change leaves alone
    const offsets = new Map<string, number>();
    const expectedDead: string[] = [];
    lines.forEach((l, i) => {
      const offset = offsets.get(l.topic) ?? 0;
      offsets.set(l.topic, offset + 1);
      if (newEvents[i] instanceof Error && !(oldEvents[i] instanceof Error) && orderOf[i] && inWindow.has(orderOf[i]!)) expectedDead.push(`${l.topic}|${offset}`);
    });
    expect(expectedDead.length).toBeGreaterThan(0);

    const run = async (pipelines: string, out?: { json: string; html: string }): Promise<SandboxReport> =>
      runSandboxCommand(config, logger, {
        pipelines,
        rules: null,
        window: { from, to },
        orders: null,
        json: out?.json ?? null,
        html: out?.html ?? null,
        database,
        dataPath,
        batchOrders: 37,
        progress: () => {},
      });

    // Production's own pipelines give production's views: nothing to report.
    const baseline = await run(path.join(REPO_ROOT, 'pipelines'));
    expect(baseline.totals.orders_compared).toBe(inWindow.size);
    expect(baseline.orders).toEqual([]);
    expect(baseline.incomplete).toEqual([]);
    expect(baseline.dead_letters).toEqual({ created: [], cured: [] });

    const outDir = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-out-'));
    const json = path.join(outDir, 'report.json');
    const html = path.join(outDir, 'report.html');
    const report = await run(candidate, { json, html });
    expect(report.totals.orders_compared).toBe(inWindow.size);
    expect(report.orders.map((o) => o.order_id)).toEqual(expectedChanged);
    for (const o of report.orders) {
      const b = before.get(o.order_id);
      const a = after.get(o.order_id);
      expect(o.change).toBe('changed');
      if (b!.status !== a!.status) expect(o.status).toEqual({ from: b!.status, to: a!.status });
      else expect(o.status).toBeUndefined();
      expect(o.fields.length).toBeGreaterThan(0);
      for (const f of o.fields) {
        expect(f.before, `${o.order_id} ${f.path}`).toEqual(valueAt(b, f.path));
        expect(f.after, `${o.order_id} ${f.path}`).toEqual(valueAt(a, f.path));
      }
      if (b!.packed_at !== a!.packed_at) expect(o.fields).toContainEqual({ path: 'packed_at', before: b!.packed_at, after: a!.packed_at });
    }
    const moves = report.status_moves.reduce((n, m) => n + m.orders, 0);
    expect(moves).toBe(expectedChanged.filter((id) => before.get(id)!.status !== after.get(id)!.status).length);
    expect(report.dead_letters.created.map((d) => `${d.topic}|${d.offset}`).sort()).toEqual(expectedDead.sort());
    for (const d of report.dead_letters.created) {
      expect(d.topic).toBe(WMS);
      expect(d.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    }
    expect(report.dead_letters.cured).toEqual([]);

    expect(JSON.parse(await readFile(json, 'utf8'))).toEqual(report);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script|<link|src=/);
    for (const o of report.orders) expect(page).toContain(o.order_id);
  });
});
