import { OrderlakeError } from '../errors.js';
import type { CaseFeed } from '../feed/index.js';
import {
  batchInputs,
  type AgentAction,
  type Arrival,
  type CaseChange,
  type HealthCase,
  type HealthEngine,
  type HealthInput,
  type ShipmentLinkedInput,
  type ShipmentWaitingInput,
} from '../health/index.js';
import type { ViewChange } from '../golden/index.js';
import type { Metrics } from '../metrics.js';
import type { CaseRow } from '../sinks/index.js';
import { toCaseRow } from '../sinks/index.js';

/** What one merged batch tells the health rules (an embedded `BatchResult` fits). */
export interface HealthBatch {
  changes: readonly ViewChange[];
  arrivals: readonly Arrival[];
  shipments?: ReadonlyArray<ShipmentWaitingInput | ShipmentLinkedInput>;
}

/**
 * The health stage of a worker: the pure rules engine (src/health) with its I/O edges. Every case
 * change is written to `exception_cases` (versioned), pushed on the case feed and counted in the
 * metrics. Event time drives it: batches move the watermark; `tick` lets the wall clock move it
 * while every source is idle, so "nothing happened for 30 minutes" fires without a new event.
 */
export interface HealthStage {
  /** Feeds a merged batch: its view changes, then its shipment waits, then its arrivals. */
  observe(batch: HealthBatch): CaseChange[];
  /** Feeds inputs as they are (restores, tests). */
  apply(inputs: Iterable<HealthInput>): CaseChange[];
  /**
   * The wall clock reads now: stages due while every source is idle are taken. Idleness counts from
   * when the newest arrival was processed (a backlog of old Kafka times being worked off is not
   * idleness), so the engine is fed that arrival's time plus the wall-clock time since.
   */
  tick(): CaseChange[];
  /**
   * An agent's action on a case this worker holds; the change is stored and pushed like a rule's.
   * Throws `OL_ERR_CASE_NOT_FOUND` or `OL_ERR_CASE_ACTION_REFUSED`.
   */
  act(caseId: string, action: AgentAction): HealthCase;
  /** Every case held now (open and recently resolved), in queue order. */
  held(): HealthCase[];
  get(caseId: string): HealthCase | undefined;
  casesOfOrder(orderId: string): HealthCase[];
  /** Holds stored cases again (start-up, partitions taken over); feed the orders' views afterwards. */
  restore(cases: Iterable<HealthCase>): void;
  /** Forgets an order's cases (its partition was revoked). */
  evict(orderId: string): void;
  /**
   * Runs `next` from now on (live reload of the rules). It takes over every case held and the
   * watermark (`allowedLatenessMs` is its lateness); feed the orders' views afterwards, so the new
   * rules judge them: a case whose rule now holds no more self-heals, a new rule opens its cases.
   */
  replaceEngine(next: HealthEngine, allowedLatenessMs: number): CaseChange[];
  readonly feed: CaseFeed;
  readonly watermark: number | null;
}

export interface HealthStageDeps {
  engine: HealthEngine;
  sink: { writeCases(rows: readonly CaseRow[]): void };
  feed: CaseFeed;
  metrics?: Metrics;
  /** Wall clock, epoch ms: clock inputs, the written_at column, lag gauges. */
  now: () => number;
  /** The merge partition owning an order (0 in embedded mode). */
  ownerPartition?: (orderId: string) => number;
  /** Called when storing or pushing a change failed (the change stays held in memory). */
  onError?: (err: unknown) => void;
}

const unresolved = (held: HealthCase | null): boolean => held !== null && held.status !== 'resolved';

export function createHealthStage(deps: HealthStageDeps): HealthStage {
  const { sink, feed, metrics, now } = deps;
  let engine = deps.engine;
  const partitionOf = deps.ownerPartition ?? (() => 0);
  /** Newest event time seen per source system, for the lag gauge. */
  const newestBySource = new Map<string, number>();
  /**
   * The newest arrival time fed (Kafka time), and the wall clock when it was fed. Idleness is
   * counted from when the last arrival was *processed*: a worker working off a backlog of old
   * messages is not idle, however old their Kafka times are.
   */
  let lastArrival: { arrivedAt: number; fedAt: number } | null = null;

  function count(changes: readonly CaseChange[]): void {
    if (metrics === undefined) return;
    for (const change of changes) {
      const { case: held, previous } = change;
      const labels = { rule: held.rule, severity: held.severity };
      if (!unresolved(previous) && unresolved(held)) metrics.casesOpened.inc(labels);
      if (unresolved(previous)) metrics.casesOpen.dec({ ...labels, at_risk: String(previous!.at_risk) });
      if (unresolved(held)) metrics.casesOpen.inc({ ...labels, at_risk: String(held.at_risk) });
      if (unresolved(previous) && held.status === 'resolved') {
        const resolution = held.resolution ?? 'self_healed';
        metrics.casesResolved.inc({ rule: held.rule, resolution });
        const seconds = (Date.parse(held.resolved_at ?? held.updated_at) - Date.parse(held.opened_at)) / 1000;
        if (Number.isFinite(seconds) && seconds >= 0) metrics.caseResolveSeconds.observe({ rule: held.rule, resolution }, seconds);
      }
    }
  }

  function emit(changes: CaseChange[]): CaseChange[] {
    if (changes.length === 0) return changes;
    const at = now();
    try {
      sink.writeCases(changes.map((change) => toCaseRow(change.case, change.case.order_id === null ? 0 : partitionOf(change.case.order_id), at)));
    } catch (err) {
      deps.onError?.(err);
    }
    count(changes);
    feed.publish(changes);
    return changes;
  }

  function gauges(arrivals: readonly Arrival[]): void {
    if (arrivals.length > 0) {
      let newest = lastArrival?.arrivedAt ?? -Infinity;
      for (const arrival of arrivals) if (arrival.arrivedAt > newest) newest = arrival.arrivedAt;
      lastArrival = { arrivedAt: newest, fedAt: now() };
    }
    if (metrics === undefined) return;
    for (const arrival of arrivals) {
      metrics.sourceFreshness.observe({ source: arrival.source }, Math.max(0, arrival.arrivedAt - arrival.eventTime) / 1000);
      if (arrival.eventTime > (newestBySource.get(arrival.source) ?? -Infinity)) newestBySource.set(arrival.source, arrival.eventTime);
    }
  }

  function refreshLag(): void {
    if (metrics === undefined) return;
    const at = now();
    for (const [source, newest] of newestBySource) metrics.sourceLag.set({ source }, Math.max(0, at - newest) / 1000);
    const watermark = engine.watermark;
    if (watermark !== null) metrics.healthWatermarkLag.set(Math.max(0, at - watermark) / 1000);
  }

  return {
    observe(batch) {
      gauges(batch.arrivals);
      const inputs = batchInputs(batch.changes, batch.arrivals);
      // Views first (they hold every event of the batch), then shipment waits, then the arrivals,
      // which move the watermark: what the replay does, so a live run and a replay agree.
      const views = inputs.filter((i) => i.type === 'view');
      const rest = inputs.filter((i) => i.type !== 'view');
      return emit(engine.apply([...views, ...(batch.shipments ?? []), ...rest]));
    },
    apply(inputs) {
      return emit(engine.apply(inputs));
    },
    tick() {
      // The engine's clock reading, on the arrivals' time line: the newest arrival time plus the
      // wall-clock time since it was processed.
      const reading = lastArrival === null ? null : lastArrival.arrivedAt + Math.max(0, now() - lastArrival.fedAt);
      const changes = reading === null ? [] : emit(engine.apply([{ type: 'clock', now: reading }]));
      refreshLag();
      return changes;
    },
    act(caseId, action) {
      if (engine.get(caseId) === undefined) {
        throw new OrderlakeError('OL_ERR_CASE_NOT_FOUND', `case ${caseId} is not held by this worker`, { context: { caseId } });
      }
      const change = engine.act(caseId, action);
      emit([change]);
      return change.case;
    },
    held: () => engine.cases(),
    get: (caseId) => engine.get(caseId),
    casesOfOrder: (orderId) => engine.casesOfOrder(orderId),
    restore(cases) {
      const list = [...cases];
      engine.restore(list);
      if (metrics !== undefined) {
        for (const held of list) {
          if (unresolved(held)) metrics.casesOpen.inc({ rule: held.rule, severity: held.severity, at_risk: String(held.at_risk) });
        }
      }
    },
    evict(orderId) {
      if (metrics !== undefined) {
        for (const held of engine.casesOfOrder(orderId)) {
          if (unresolved(held)) metrics.casesOpen.dec({ rule: held.rule, severity: held.severity, at_risk: String(held.at_risk) });
        }
      }
      engine.evict(orderId);
    },
    replaceEngine(next, allowedLatenessMs) {
      next.restore(engine.cases());
      const watermark = engine.watermark;
      engine = next;
      return watermark === null ? [] : emit(engine.apply([{ type: 'watermark', eventTime: watermark + allowedLatenessMs }]));
    },
    feed,
    get watermark() {
      return engine.watermark;
    },
  };
}
