import { createGoldenStore, createLocalRouter, createShipmentLinker, compareCodePoints, type ViewChange } from '../golden/index.js';
import type { Rule } from '../health/index.js';
import type { Ingestor, IngestOutcome } from '../pipeline/ingest.js';
import { fromStoredBytes, type RawMessage } from '../pipeline/raw-message.js';
import { namedOrderId } from '../pipeline/raw-event.js';
import { positionKey, type MessagePosition, type StoredRawMessage, type TimeWindow } from '../sinks/index.js';
import { caseTotals, diffOrderCases, type OrderCasesDiff } from './case-diff.js';
import { createOrderCaseReplay, orderRulesOf } from './case-replay.js';
import type { DeadLetterDiff, OrderDiff, SandboxCases, SandboxReport } from './sandbox-report.js';
import { diffViews } from './view-diff.js';

/** The reads the sandbox makes of production (see `src/sinks/clickhouse/sandbox-reader.ts`). */
export interface SandboxSource {
  ordersTouchedInWindow(window: TimeWindow): Promise<string[]>;
  unknownOrderMessagesInWindow(window: TimeWindow, after: MessagePosition | null, limit: number): Promise<Array<StoredRawMessage & { routed_order: string }>>;
  rawMessagesOfOrders(orderIds: readonly string[]): Promise<StoredRawMessage[]>;
  lakePositionsOfOrders(orderIds: readonly string[]): Promise<Array<MessagePosition & { order_id: string }>>;
  goldenViewsOfOrders(orderIds: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
  deadLettersAt(positions: readonly MessagePosition[]): Promise<Map<string, { code: string; reason: string }>>;
}

export interface SandboxProgress {
  phase: 'orders' | 'unknown' | 'compare' | 'done';
  ordersTotal: number;
  ordersDone: number;
  messages: number;
  changed: number;
}

export interface SandboxRunOptions {
  window: TimeWindow;
  /** Only orders this accepts are compared (`--orders`). */
  orderFilter?: (orderId: string) => boolean;
  /** Orders per batch: what bounds memory (their messages, views and state). Default 200. */
  batchOrders?: number;
  /** Messages per page of the window's messages that name no order. Default 5000. */
  pageMessages?: number;
  progress?: (p: SandboxProgress) => void;
  /** Labels for the report. */
  labels: { pipelines: string; rules: string | null; ordersFilter: string | null };
  now?: () => number;
  /** Exception cases recomputed on both sides (absent: not computed). */
  cases?: SandboxCaseOptions;
}

/** What recomputing exception cases needs besides the candidate's ingestor. */
export interface SandboxCaseOptions {
  /** Decodes and normalizes with production's pipeline files: the baseline views and the event-time line. */
  productionIngestor: Ingestor;
  /** The rules production runs (`<pipelines>/rules`). */
  productionRules: readonly Rule[];
  /** The candidate's rules (`--rules`, else production's). */
  candidateRules: readonly Rule[];
  /** `ORDERLAKE_HEALTH_LATENESS_MS`. Unit: ms. */
  allowedLatenessMs: number;
}

const CASE_LIMITS = [
  'only the order rules (waiting and exception) are judged: source-silent, source-lagging and unlinked-shipment need every source event, or the link stage\'s waits, in one place, which a batch of orders does not have',
  "each order's event time is its own: before each of its messages, the message's Kafka time less ORDERLAKE_HEALTH_LATENESS_MS (about where production's watermark, moved by every source, stood when it arrived), and the view's own newest event time; then the window's end. Between two messages of an order production's watermark moved on continuously; here it jumps at the next message, which takes the same stages unless that message's Kafka time lags its event time by more than the lateness",
  'evidence and history are not compared, only outcomes: severity, queue, status, resolution, at risk, breached, threshold, since, due time, opened and resolved times',
  'agent actions (acknowledge, assign, resolve) are not replayed: both sides are what the rules alone make',
];

const CASE_NOTE =
  "every compared order's stored messages are decoded with production's pipelines and with the candidate's, merged by the pure merge in arrival order, and each view version fed to a health engine of production's rules and one of the candidate's; event time moves identically for both, with the order's messages' Kafka times, and finally to the window's end";

function toRaw(m: StoredRawMessage): RawMessage {
  return fromStoredBytes({ ...m, timestamp: m.kafka_time, value: m.tombstone === 1 ? null : m.value });
}

function byArrival(a: StoredRawMessage, b: StoredRawMessage): number {
  if (a.kafka_time !== b.kafka_time) return a.kafka_time - b.kafka_time;
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  const x = BigInt(a.offset);
  const y = BigInt(b.offset);
  return x < y ? -1 : x > y ? 1 : 0;
}

function deadDiff(m: StoredRawMessage, orderId: string, code: string, reason: string): DeadLetterDiff {
  return { topic: m.topic, partition: m.partition, offset: m.offset, kafka_time: new Date(m.kafka_time).toISOString(), order_id: orderId, code, reason };
}

/**
 * `orderlake sandbox`, the part that thinks: which orders the window touched, the views the
 * candidate pipelines give them (every stored message of each order decoded again, through the
 * pure merge, batch of orders after batch), and how those differ from production's golden table.
 *
 * Orders: those production's lake (or a raw message naming its order) shows in the window, plus
 * those the candidate finds in the window's messages production could not place (dead letters,
 * waiting tracking events). An order some of whose lake events have no raw message (recorded before
 * `raw_events` existed) is left out and listed: its candidate view would miss them.
 */
export async function runSandbox(deps: { source: SandboxSource; ingestor: Ingestor }, options: SandboxRunOptions): Promise<SandboxReport> {
  const { source, ingestor } = deps;
  const clock = options.now ?? Date.now;
  const started = clock();
  const accept = options.orderFilter ?? (() => true);
  const batchOrders = options.batchOrders ?? 200;
  const pageMessages = options.pageMessages ?? 5000;
  const progress = options.progress ?? (() => {});
  const created: DeadLetterDiff[] = [];
  const cured: DeadLetterDiff[] = [];
  let messages = 0;
  let unlinked = 0;
  let outside = 0;
  const caseOptions = options.cases;
  const caseOrders: OrderCasesDiff[] = [];

  const orders = new Set((await source.ordersTouchedInWindow(options.window)).filter(accept));
  progress({ phase: 'orders', ordersTotal: orders.size, ordersDone: 0, messages, changed: 0 });

  // Messages of the window that production placed in no order: the candidate may place them, or
  // cure (or create) their dead letter. Only dead letters are held here: few, by nature.
  const extra = new Map<string, StoredRawMessage[]>();
  let after: MessagePosition | null = null;
  for (;;) {
    const page = await source.unknownOrderMessagesInWindow(options.window, after, pageMessages);
    if (page.length === 0) break;
    after = page[page.length - 1]!;
    const unplaced = page.filter((m) => m.routed_order === '');
    if (unplaced.length === 0) continue;
    const outcomes = await ingestor.ingestBatch(unplaced.map(toRaw));
    const dead = await source.deadLettersAt(unplaced);
    messages += unplaced.length;
    unplaced.forEach((m, i) => {
      const outcome = outcomes[i]!;
      const before = dead.get(positionKey(m));
      const orderId = outcome.type === 'event' ? namedOrderId(outcome.event) : '';
      if (outcome.type === 'dead') {
        if (before === undefined) created.push(deadDiff(m, '', outcome.deadLetter.code, outcome.deadLetter.reason));
        return;
      }
      if (before !== undefined) cured.push(deadDiff(m, orderId, before.code, before.reason));
      if (outcome.type !== 'event') return;
      if (orderId === '') {
        if (outcome.event.kind === 'tms') unlinked++;
        return;
      }
      if (!accept(orderId)) return;
      orders.add(orderId);
      const list = extra.get(orderId) ?? [];
      list.push(m);
      extra.set(orderId, list);
    });
    progress({ phase: 'unknown', ordersTotal: orders.size, ordersDone: 0, messages, changed: 0 });
  }

  const ids = [...orders].sort(compareCodePoints);
  const diffs: OrderDiff[] = [];
  const incomplete: SandboxReport['incomplete'] = [];
  let compared = 0;
  for (let start = 0; start < ids.length; start += batchOrders) {
    const batch = ids.slice(start, start + batchOrders);
    const inBatch = new Set(batch);
    const [stored, lake, production] = await Promise.all([
      source.rawMessagesOfOrders(batch),
      source.lakePositionsOfOrders(batch),
      source.goldenViewsOfOrders(batch),
    ]);
    const seen = new Map<string, StoredRawMessage>();
    for (const m of stored) seen.set(positionKey(m), m);
    const fromExtra = new Set<string>();
    for (const id of batch) {
      for (const m of extra.get(id) ?? []) {
        const k = positionKey(m);
        if (!seen.has(k)) {
          seen.set(k, m);
          fromExtra.add(k);
        }
      }
    }
    const placedAt = new Map(lake.map((p) => [positionKey(p), p.order_id]));
    const missing = new Map<string, number>();
    for (const p of lake) if (!seen.has(positionKey(p))) missing.set(p.order_id, (missing.get(p.order_id) ?? 0) + 1);
    const list = [...seen.values()].sort(byArrival);
    const raws = list.map(toRaw);
    const outcomes: IngestOutcome[] = list.length > 0 ? await ingestor.ingestBatch(raws) : [];
    messages += list.length;

    const store = createGoldenStore({ now: () => 0 });
    const route = createLocalRouter(createShipmentLinker({ maxPending: Number.MAX_SAFE_INTEGER, onOverflow: () => {} }));
    // Cases: the baseline is production's pipelines decoding the very messages the candidate decodes,
    // merged by the same pure merge in the same order — not production's golden table or lake, whose
    // versions were made batch by batch (and maybe by earlier files). Built this way, an unchanged
    // candidate feeds both engines identical views and identical event time: an empty case diff.
    const replay = caseOptions
      ? createOrderCaseReplay({
          baselineRules: caseOptions.productionRules,
          candidateRules: caseOptions.candidateRules,
          allowedLatenessMs: caseOptions.allowedLatenessMs,
        })
      : null;
    const baseOutcomes: IngestOutcome[] = caseOptions && list.length > 0 ? await caseOptions.productionIngestor.ingestBatch(raws) : [];
    const baseStore = createGoldenStore({ now: () => 0 });
    const baseRoute = createLocalRouter(createShipmentLinker({ maxPending: Number.MAX_SAFE_INTEGER, onOverflow: () => {} }));
    const feed = (side: 'baseline' | 'candidate', changes: readonly ViewChange[]) => {
      for (const c of changes) replay!.view(side, c.orderId, c.view, c.version);
    };

    list.forEach((m, i) => {
      const outcome = outcomes[i]!;
      const k = positionKey(m);
      if (outcome.type === 'dead') {
        // Messages placed by production were no dead letters there; the others were counted above.
        if (!fromExtra.has(k)) created.push(deadDiff(m, m.order_id || (placedAt.get(k) ?? ''), outcome.deadLetter.code, outcome.deadLetter.reason));
      }
      const items = [];
      if (outcome.type === 'event') {
        for (const r of route(outcome.event, 0)) {
          if (inBatch.has(r.orderId)) items.push({ orderId: r.orderId, event: r.event });
          else outside++;
        }
      }
      if (replay === null) {
        if (items.length > 0) store.applyBatch(items);
        return;
      }
      const base = baseOutcomes[i]!;
      const baseItems = base.type === 'event' ? baseRoute(base.event, 0).filter((r) => inBatch.has(r.orderId)) : [];
      // Event time first, the same for both engines of every order either side gives the message to;
      // then each side's view changes, in the order its merge makes them.
      for (const id of new Set([...baseItems.map((r) => r.orderId), ...items.map((r) => r.orderId)])) replay.advance(id, m.kafka_time);
      if (baseItems.length > 0) feed('baseline', baseStore.applyBatch(baseItems.map((r) => ({ orderId: r.orderId, event: r.event }))));
      if (items.length > 0) feed('candidate', store.applyBatch(items));
    });

    for (const id of batch) {
      const gap = missing.get(id);
      if (gap !== undefined) {
        incomplete.push({ order_id: id, missing_messages: gap });
        continue;
      }
      compared++;
      if (replay) {
        const judged = replay.finish(id, options.window.to);
        const cases = diffOrderCases(judged.baseline, judged.candidate);
        if (cases.length > 0) caseOrders.push({ order_id: id, cases });
      }
      const before = production.get(id) ?? null;
      const view = store.get(id);
      const afterView = view === null ? null : (view as unknown as Record<string, unknown>);
      const fields = diffViews(before, afterView);
      if (fields.length === 0) continue;
      const statusBefore = before === null ? null : ((before.status as string | null) ?? null);
      const statusAfter = afterView === null ? null : ((afterView.status as string | null) ?? null);
      const exBefore = new Set((before?.exceptions as string[] | undefined) ?? []);
      const exAfter = new Set((afterView?.exceptions as string[] | undefined) ?? []);
      diffs.push({
        order_id: id,
        change: before === null ? 'appeared' : afterView === null ? 'disappeared' : 'changed',
        ...(statusBefore !== statusAfter ? { status: { from: statusBefore, to: statusAfter } } : {}),
        exceptions: { opened: [...exAfter].filter((e) => !exBefore.has(e)).sort(), closed: [...exBefore].filter((e) => !exAfter.has(e)).sort() },
        fields,
      });
    }
    progress({ phase: 'compare', ordersTotal: ids.length, ordersDone: Math.min(ids.length, start + batch.length), messages, changed: diffs.length });
  }

  const moves = new Map<string, { from: string | null; to: string | null; orders: number }>();
  const opened: Record<string, number> = {};
  const closed: Record<string, number> = {};
  for (const d of diffs) {
    if (d.status) {
      const k = `${d.status.from}\u0000${d.status.to}`;
      const m = moves.get(k) ?? { ...d.status, orders: 0 };
      m.orders++;
      moves.set(k, m);
    }
    for (const e of d.exceptions.opened) opened[e] = (opened[e] ?? 0) + 1;
    for (const e of d.exceptions.closed) closed[e] = (closed[e] ?? 0) + 1;
  }
  const byPosition = (a: DeadLetterDiff, b: DeadLetterDiff) => compareCodePoints(positionKey(a), positionKey(b));
  const ct = caseTotals(caseOrders);
  const report: SandboxReport = {
    window: { from: new Date(options.window.from).toISOString(), to: new Date(options.window.to).toISOString() },
    pipelines: options.labels.pipelines,
    rules: options.labels.rules,
    orders_filter: options.labels.ordersFilter,
    generated_at: new Date(clock()).toISOString(),
    totals: {
      orders_compared: compared,
      orders_changed: diffs.length,
      orders_incomplete: incomplete.length,
      messages,
      field_changes: diffs.reduce((n, d) => n + d.fields.length, 0),
      dead_letters_created: created.length,
      dead_letters_cured: cured.length,
      unlinked_tracking: unlinked,
      events_outside: outside,
      cases_opened: ct.opened,
      cases_closed: ct.closed,
      cases_changed: ct.changed,
      orders_cases_changed: caseOrders.length,
    },
    status_moves: [...moves.values()].sort((a, b) => b.orders - a.orders || compareCodePoints(`${a.from}>${a.to}`, `${b.from}>${b.to}`)),
    exceptions: { opened, closed },
    orders: diffs,
    dead_letters: { created: created.sort(byPosition), cured: cured.sort(byPosition) },
    incomplete,
    cases: casesSection(caseOptions, options.window.to, caseOrders, ct.by_rule),
    seconds: Math.round(clock() - started) / 1000,
  };
  progress({ phase: 'done', ordersTotal: ids.length, ordersDone: ids.length, messages, changed: diffs.length });
  return report;
}


function casesSection(options: SandboxCaseOptions | undefined, until: number, orders: OrderCasesDiff[], byRule: SandboxCases['by_rule']): SandboxCases {
  if (options === undefined) {
    return { computed: false, note: 'not asked for', limits: [], rules: { production: [], candidate: [], left_out: [] }, judged_until: null, by_rule: {}, orders: [] };
  }
  const names = (rules: readonly Rule[]) => rules.map((r) => r.name).sort(compareCodePoints);
  const judged = new Set([...orderRulesOf(options.productionRules), ...orderRulesOf(options.candidateRules)].map((r) => r.name));
  const leftOut = [...new Set([...options.productionRules, ...options.candidateRules].map((r) => r.name))].filter((n) => !judged.has(n));
  return {
    computed: true,
    note: CASE_NOTE,
    limits: CASE_LIMITS,
    rules: { production: names(orderRulesOf(options.productionRules)), candidate: names(orderRulesOf(options.candidateRules)), left_out: leftOut.sort(compareCodePoints) },
    judged_until: new Date(until).toISOString(),
    by_rule: byRule,
    orders: orders.sort((a, b) => compareCodePoints(a.order_id, b.order_id)),
  };
}
