import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime } from '../../../src/main.js';
import { createGoldenStore, createLocalRouter, createShipmentLinker, type GoldenView } from '../../../src/golden/index.js';
import { createNormalizer, loadPipelines, type CanonicalEvent } from '../../../src/normalize/index.js';
import { runSandboxCommand } from '../../../src/runtime/run-sandbox.js';
import type { CaseDiff, SandboxReport } from '../../../src/sandbox/index.js';
import { DEFAULT_MIX, type ReplayLine } from '../../../src/simulator/index.js';
import { encodeLinesFor } from '../../helpers/replay-into.js';
import { REPO_ROOT, generateScenario, stripVolatile } from '../../helpers/pipeline-run.js';
import { valueAt } from '../../helpers/view-path.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const DAY0 = Date.UTC(2026, 10, 22);
/** ORDERLAKE_HEALTH_LATENESS_MS by default: what the engines take off event time. */
const LATENESS = 10 * MINUTE;
/** The reference thresholds of paid-not-released, and the candidate's. */
const PRODUCTION_THRESHOLD = { default: 45 * MINUTE, instant: 40 * MINUTE };
const CANDIDATE_THRESHOLD = { default: 25 * MINUTE, instant: 20 * MINUTE };
const INSTANT = new Set(['MEITUAN', 'JD_DAOJIA']);
const ACAP_DONE = new Set(['DELIVERED', 'CANCELLED', 'RETURNED_TO_SENDER', 'REFUNDED']);

/** The lines in the order the sandbox reads them back: Kafka time, then topic, then offset (the line's place in its topic). */
function arrivalOrder(lines: readonly ReplayLine[]): Array<{ line: ReplayLine; offset: number }> {
  const offsets = new Map<string, number>();
  const withOffsets = lines.map((line) => {
    const offset = offsets.get(line.topic) ?? 0;
    offsets.set(line.topic, offset + 1);
    return { line, offset };
  });
  return withOffsets.sort((a, b) => a.line.timestamp! - b.line.timestamp! || (a.line.topic < b.line.topic ? -1 : a.line.topic > b.line.topic ? 1 : a.offset - b.offset));
}

/** Each line normalized with a pipelines folder: the event, or null for a dead letter or tombstone. */
async function normalizeAll(dir: string, lines: ReadonlyArray<{ line: ReplayLine; offset: number }>): Promise<Array<CanonicalEvent | null>> {
  const normalizer = createNormalizer(await loadPipelines(dir));
  return lines.map(({ line, offset }) => {
    try {
      return normalizer.normalize(line.topic, line.value, { topic: line.topic, partition: 0, offset: String(offset), timestamp: 0 });
    } catch {
      return null;
    }
  });
}

/** One order's history on one side: per message of the order (arrival order), its Kafka time and the view after it. */
type Steps = Array<{ kafkaTime: number; view: GoldenView | null }>;
type History = Map<string, Steps>;

/** The pure merge of the events in arrival order, recording every order's view after each of its messages. */
function historiesOf(lines: ReadonlyArray<{ line: ReplayLine }>, events: ReadonlyArray<CanonicalEvent | null>): History {
  const store = createGoldenStore({ now: () => 0 });
  const route = createLocalRouter(createShipmentLinker({ maxPending: 1e9, onOverflow: () => {} }));
  const history: History = new Map();
  events.forEach((event, i) => {
    if (event === null) return;
    const routed = route(event, 0);
    store.applyBatch(routed.map((r) => ({ orderId: r.orderId, event: r.event })));
    for (const id of new Set(routed.map((r) => r.orderId))) {
      const list = history.get(id) ?? [];
      list.push({ kafkaTime: lines[i]!.line.timestamp!, view: store.get(id) });
      history.set(id, list);
    }
  });
  return history;
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
/** The order's newest source event time in a view. */
function newest(view: GoldenView): number {
  return Math.max(...[view.sources.crm, view.sources.wms, view.sources.tms].map((s) => (s === null ? -Infinity : Date.parse(s.last_event_at))));
}

interface Expected {
  status: 'open' | 'resolved';
  breached: boolean;
  at_risk: boolean;
  threshold_ms: number;
  since: string;
  due_at: string;
}

/**
 * paid-not-released worked out by hand from an order's history: the wait runs from `paid_at` to
 * `released_at`; with no release, until the order stops being PAID (judged at that message's Kafka
 * time less the lateness, or the newest event time of the views while it waited) or else to the
 * window's end. At risk from 80 % of the threshold, breached at it.
 */
function paidNotReleased(history: Steps, thresholds: typeof PRODUCTION_THRESHOLD, windowEnd: number): Expected | null {
  const last = history[history.length - 1]!.view;
  if (last === null || last.paid_at === null) return null;
  const paid = ms(last.paid_at)!;
  const threshold = last.channel !== null && INSTANT.has(last.channel) ? thresholds.instant : thresholds.default;
  let reach: number;
  let status: Expected['status'] = 'resolved';
  let watermark = -Infinity;
  if (last.released_at !== null) {
    const released = ms(last.released_at)!;
    if (released < paid) return null;
    for (const h of history) {
      watermark = Math.max(watermark, h.kafkaTime - LATENESS);
      if (h.view?.released_at !== null) break;
    }
    reach = Math.max(released, watermark);
  } else if (last.status === 'PAID') {
    reach = windowEnd;
    status = 'open';
  } else {
    reach = -Infinity;
    for (const h of history) {
      watermark = Math.max(watermark, h.kafkaTime - LATENESS);
      reach = Math.max(reach, watermark);
      if (h.view === null || h.view.paid_at === null) continue;
      if (h.view.status !== 'PAID') break;
      reach = Math.max(reach, newest(h.view));
    }
  }
  const atRiskAt = paid + Math.round(0.8 * threshold);
  if (reach < atRiskAt) return null;
  const breached = reach >= paid + threshold;
  return { status, breached, at_risk: !breached, threshold_ms: threshold, since: new Date(paid).toISOString(), due_at: new Date(paid + threshold).toISOString() };
}

/**
 * address-changed-after-packing by hand: a case when some view of the order shows the exception
 * while the order is still live, since (and breached at, the threshold being 0) that view's newest
 * event time; open while the last view still shows it.
 */
function addressChangedAfterPacking(history: Steps): { status: Expected['status']; since: string } | null {
  const holds = (v: GoldenView | null): v is GoldenView => v !== null && v.exceptions.includes('ADDRESS_CHANGED_AFTER_PACKING') && !ACAP_DONE.has(v.status ?? '');
  const first = history.find((h) => holds(h.view))?.view;
  if (first === undefined || first === null) return null;
  return { status: holds(history[history.length - 1]!.view) ? 'open' : 'resolved', since: new Date(newest(first)).toISOString() };
}


/**
 * The acceptance test: a day of simulated traffic recorded by the embedded runtime, then a
 * candidate that maps WMS PACKED to PICKED (pipelines) and lowers paid-not-released from 45 (40)
 * minutes to 25 (20) (rules). The sandbox must list exactly the orders whose views the mapping
 * changes and exactly the orders whose cases the two changes open, close or change, with
 * production's and the candidate's values — all worked out here from the simulated events.
 */
describe('orderlake sandbox: exception cases', () => {
  it('recomputes cases for a status-mapping and a rule-threshold change, exactly for the orders they affect', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' }, REPO_ROOT);
    expect(config.ORDERLAKE_HEALTH_LATENESS_MS).toBe(LATENESS);
    const logger = pino({ level: 'silent' });
    const dataPath = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-cases-'));
    const database = 'sandbox_cases_it';
    // A day of traffic: 320 orders created over the day, the recording cut at its end (orders still
    // in flight then stay so), stuck releases and late address changes more often than by default.
    const lines = generateScenario({
      seed: 2207,
      orders: 320,
      startTime: DAY0,
      ratePerSec: 320 / (DAY / 1000),
      endTime: DAY0 + DAY,
      duplicateRate: 0.05,
      shuffle: 'none',
      wmsV1Share: 0,
      mix: { ...DEFAULT_MIX, releaseDelayed: 8, addressChangeAfterPacking: 8 },
    });

    const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, recreate: true, health: false });
    const messages = await encodeLinesFor(runtime.codec.encoder, lines);
    for (let i = 0; i < messages.length; i += 300) await runtime.pipeline.process(messages.slice(i, i + 300));
    await runtime.storage.sink.flush();
    await runtime.close();

    const candidate = await mkdtemp(path.join(tmpdir(), 'orderlake-candidate-'));
    await cp(path.join(REPO_ROOT, 'pipelines'), candidate, { recursive: true });
    const wmsFile = path.join(candidate, 'wms-fulfillment.yaml');
    const wmsText = await readFile(wmsFile, 'utf8');
    const wmsChanged = wmsText.replace('      PACKED: PACKED\n', '      PACKED: PICKED\n');
    expect(wmsChanged).not.toBe(wmsText);
    await writeFile(wmsFile, wmsChanged);
    const rules = await mkdtemp(path.join(tmpdir(), 'orderlake-candidate-rules-'));
    await cp(path.join(REPO_ROOT, 'pipelines', 'rules'), rules, { recursive: true });
    const ruleFile = path.join(rules, 'paid-not-released.yaml');
    const ruleText = await readFile(ruleFile, 'utf8');
    const ruleChanged = ruleText.replace('threshold: 45m', 'threshold: 25m').replaceAll('{ threshold: 40m }', '{ threshold: 20m }');
    expect(ruleChanged.match(/threshold: (25|20)m/g)).toHaveLength(3);
    await writeFile(ruleFile, ruleChanged);

    // The oracle, from the simulated lines: both sides' views after each message, in arrival order.
    const arrived = arrivalOrder(lines);
    const oldEvents = await normalizeAll(path.join(REPO_ROOT, 'pipelines'), arrived);
    const newEvents = await normalizeAll(candidate, arrived);
    const before = historiesOf(arrived, oldEvents);
    const after = historiesOf(arrived, newEvents);
    const times = arrived.map((a) => a.line.timestamp!);
    const from = times[Math.floor(times.length * 0.25)]!;
    const to = times[times.length - 1]! + 1; // the window runs to the end of the recording
    const inWindow = new Set<string>();
    for (const [id, h] of before) if (h.some((x) => x.kafkaTime >= from && x.kafkaTime < to)) inWindow.add(id);
    const finalView = (h: History, id: string) => {
      const list = h.get(id);
      const view = list?.[list.length - 1]?.view ?? null;
      return view === null ? undefined : (stripVolatile(view) as unknown as Record<string, unknown>);
    };
    const expectedViews = [...inWindow].filter((id) => !isDeepStrictEqual(finalView(before, id), finalView(after, id))).sort();

    type Row = [order: string, rule: string, change: CaseDiff['change'], before: unknown, after: unknown];
    const expectedCases: Row[] = [];
    for (const id of [...inWindow].sort()) {
      const bx = addressChangedAfterPacking(before.get(id)!);
      const ax = addressChangedAfterPacking(after.get(id) ?? before.get(id)!);
      if (!isDeepStrictEqual(bx, ax)) {
        expectedCases.push([id, 'address-changed-after-packing', bx === null ? 'opened' : ax === null ? 'closed' : 'changed', bx, ax]);
      }
      const b = paidNotReleased(before.get(id)!, PRODUCTION_THRESHOLD, to);
      const a = paidNotReleased(after.get(id) ?? before.get(id)!, CANDIDATE_THRESHOLD, to);
      if (b !== null || a !== null) expectedCases.push([id, 'paid-not-released', b === null ? 'opened' : a === null ? 'closed' : 'changed', b, a]);
    }
    // The day must show every kind of difference, and orders neither change touches.
    const kinds = (rule: string, change: string) => expectedCases.filter((r) => r[1] === rule && r[2] === change).length;
    expect(kinds('paid-not-released', 'opened')).toBeGreaterThan(3);
    expect(kinds('paid-not-released', 'changed')).toBeGreaterThan(1);
    expect(expectedCases.filter((r) => r[1] === 'paid-not-released' && r[2] === 'changed' && (r[4] as Expected).status === 'open').length).toBeGreaterThan(0);
    expect(expectedCases.filter((r) => r[1] === 'address-changed-after-packing').length).toBeGreaterThan(0);
    expect(expectedViews.length).toBeGreaterThan(3);
    expect(inWindow.size - new Set([...expectedViews, ...expectedCases.map((r) => r[0])]).size).toBeGreaterThan(10);

    const run = async (pipelines: string, rulesDir: string | null, out?: { json: string; html: string }): Promise<SandboxReport> =>
      runSandboxCommand(config, logger, {
        pipelines,
        rules: rulesDir,
        window: { from, to },
        orders: null,
        json: out?.json ?? null,
        html: out?.html ?? null,
        database,
        dataPath,
        batchOrders: 41,
        progress: () => {},
      });

    // Production's own files: no view and no case differs.
    const same = await run(path.join(REPO_ROOT, 'pipelines'), path.join(REPO_ROOT, 'pipelines', 'rules'));
    expect(same.totals.orders_compared).toBe(inWindow.size);
    expect(same.orders).toEqual([]);
    expect(same.cases.computed).toBe(true);
    expect(same.cases.orders).toEqual([]);
    expect([same.totals.cases_opened, same.totals.cases_closed, same.totals.cases_changed]).toEqual([0, 0, 0]);

    const outDir = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-cases-out-'));
    const json = path.join(outDir, 'report.json');
    const html = path.join(outDir, 'report.html');
    const report = await run(candidate, rules, { json, html });
    expect(report.totals.orders_compared).toBe(inWindow.size);
    expect(report.incomplete).toEqual([]);

    // Views: exactly the orders the mapping changes, each field with both values.
    expect(report.orders.map((o) => o.order_id)).toEqual(expectedViews);
    for (const o of report.orders) {
      for (const f of o.fields) {
        expect(f.before, `${o.order_id} ${f.path}`).toEqual(valueAt(finalView(before, o.order_id), f.path));
        expect(f.after, `${o.order_id} ${f.path}`).toEqual(valueAt(finalView(after, o.order_id), f.path));
      }
    }

    // Cases: exactly the expected orders, rules and changes, with production's and the candidate's outcomes.
    const got: Row[] = report.cases.orders.flatMap((o) =>
      o.cases.map((d): Row => {
        const pick = (s: CaseDiff['before']) =>
          s === null
            ? null
            : d.rule === 'paid-not-released'
              ? { status: s.status, breached: s.breached, at_risk: s.at_risk, threshold_ms: s.threshold_ms, since: s.since, due_at: s.due_at }
              : { status: s.status, since: s.since };
        return [o.order_id, d.rule, d.change, pick(d.before), pick(d.after)];
      }),
    );
    expect(got).toEqual(expectedCases);
    for (const o of report.cases.orders) {
      for (const d of o.cases) {
        if (d.change !== 'changed') continue;
        if (d.rule === 'paid-not-released') expect(d.fields).toEqual(expect.arrayContaining(['threshold_ms', 'due_at', 'opened_at']));
      }
    }
    expect(report.totals.cases_opened).toBe(expectedCases.filter((r) => r[2] === 'opened').length);
    expect(report.totals.cases_closed).toBe(expectedCases.filter((r) => r[2] === 'closed').length);
    expect(report.totals.cases_changed).toBe(expectedCases.filter((r) => r[2] === 'changed').length);
    expect(report.totals.orders_cases_changed).toBe(new Set(expectedCases.map((r) => r[0])).size);
    expect(report.cases.rules.left_out).toEqual(['source-lagging', 'source-silent', 'unlinked-shipment']);
    expect(report.cases.judged_until).toBe(new Date(to).toISOString());

    // The JSON and HTML reports carry the same.
    expect(JSON.parse(await readFile(json, 'utf8'))).toEqual(report);
    const page = await readFile(html, 'utf8');
    expect(page).not.toMatch(/<script|<link|src=/);
    for (const o of report.cases.orders) expect(page).toContain(o.order_id);
    expect(page).toContain(`<tr><td>Exception cases opened (candidate only)</td><td>${report.totals.cases_opened}</td></tr>`);
  });
});
