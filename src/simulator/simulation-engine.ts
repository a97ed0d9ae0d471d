import { EventQueue, type QueueEntry } from './event-queue.js';
import { formatOrderId } from './identifiers.js';
import type { CrmTable, PlannedCrmTransaction, PlannedEvent } from './planned-event.js';
import { TOPICS, WRITER_SCHEMAS, type ReplayLine } from './replay-line.js';
import { kindOfOrder, staysStuck } from './scenario-manifest.js';
import type { ResolvedScenarioOptions } from './scenario-options.js';
import { createRng, type Rng } from './seeded-random.js';
import { SourceWindows } from './source-windows.js';
import { tellStory } from './story-scripts.js';

const CRM_TOPIC: Record<CrmTable, string> = {
  orders: TOPICS.orders,
  order_lines: TOPICS.orderLines,
  after_sales: TOPICS.afterSales,
};

const CRM_SCHEMA: Record<CrmTable, string> = {
  orders: WRITER_SCHEMAS.orders,
  order_lines: WRITER_SCHEMAS.orderLines,
  after_sales: WRITER_SCHEMAS.afterSales,
};

/** Redeliveries are sequenced after every planned event of the same order and instant. */
const REDELIVERY_SEQ_BASE = 1_000_000_000;

interface PendingEntry extends QueueEntry {
  event: PlannedEvent | { system: 'redelivery'; line: ReplayLine };
}

/** A line leaving the simulated sources, with the simulated instant it left at. */
export interface EmittedLine {
  at: number;
  orderNo: number;
  line: ReplayLine;
}

/**
 * The simulated source systems. Orders arrive as a Poisson process; each arriving order's whole
 * story is planned at once and its events wait in a time-ordered queue, so only orders still in
 * flight are held. Popping the queue is the moment a source emits: the CRM's transactions get their
 * `txId`, `lsn` (strictly increasing across the CRM) and connector processing time here, and a
 * share of events is scheduled for redelivery as a connector restart would.
 */
export class SimulationEngine {
  private readonly queue = new EventQueue<PendingEntry>();
  private readonly pendingPerOrder = new Map<number, number>();
  private readonly outbox: EmittedLine[] = [];
  private readonly arrivals: Rng;
  private readonly infra: Rng;
  private readonly windows: SourceWindows;
  private nextArrival: number;
  private planned = 0;
  private lsn: number;
  private txId: number;
  private lastProcessedAt = Number.NEGATIVE_INFINITY;
  private redeliveries = 0;
  private lastStartedAt: number;

  constructor(private readonly options: ResolvedScenarioOptions) {
    this.arrivals = createRng(options.seed, 'arrivals');
    this.infra = createRng(options.seed, 'infrastructure');
    this.windows = new SourceWindows(options.laggingSources, options.silentSources);
    this.nextArrival = options.startTime;
    this.lastStartedAt = options.startTime - 1;
    this.lsn = options.firstLsn - 1;
    this.txId = Math.max(1, Math.floor(options.firstLsn / 7));
  }

  /** Orders with events still to emit (including pending redeliveries). */
  get inFlightOrders(): number {
    return this.pendingPerOrder.size;
  }

  /** Orders whose story has been planned so far. */
  get startedOrders(): number {
    return this.planned;
  }

  /** True while the order count allows another order to start. */
  get canStartOrder(): boolean {
    return this.options.orders === undefined || this.planned < this.options.orders;
  }

  /**
   * The simulated instant of the next line, or undefined when nothing is left. With `scheduled`
   * (the default) orders arrive on their Poisson schedule; without, only `startOrder` starts them.
   */
  peekTime(scheduled = true): number | undefined {
    const queued = this.outbox[0];
    if (queued) return queued.at;
    if (scheduled) this.planArrivals();
    return this.queue.peek()?.at;
  }

  /** The next line in emission order, or undefined when nothing is left. See `peekTime`. */
  next(scheduled = true): EmittedLine | undefined {
    const queued = this.outbox.shift();
    if (queued) return queued;
    if (scheduled) this.planArrivals();
    const entry = this.queue.pop();
    if (!entry) return undefined;
    this.settle(entry.orderNo);
    const { event } = entry;
    if (event.system === 'redelivery') {
      return { at: entry.at, orderNo: entry.orderNo, line: this.stamp(event.line, entry.at) };
    }
    if (event.system === 'crm') {
      this.commit(event, entry.orderNo, entry.at);
    } else {
      const line = this.stamp(event.line, entry.at + this.infra.int(20, 1500));
      this.outbox.push({ at: entry.at, orderNo: entry.orderNo, line });
    }
    this.outbox.forEach((emitted, index) => {
      if (emitted.line.value === null) return;
      const following = this.outbox[index + 1];
      this.maybeRedeliver(emitted, following?.line.value === null ? following : undefined);
    });
    return this.outbox.shift();
  }

  /** Starts the next order now (demand-driven traffic), at `t0` or just after the previous one. */
  startOrder(t0: number): void {
    if (!this.canStartOrder) return;
    this.nextArrival = Math.max(t0, this.lastStartedAt + 1);
    this.planOrder();
  }

  /** Schedules a redelivery; a delete is redelivered together with the tombstone that follows it. */
  private maybeRedeliver(emitted: EmittedLine, tombstone: EmittedLine | undefined): void {
    if (!this.infra.chance(this.options.duplicateRate)) return;
    const at = emitted.at + Math.max(1, Math.round(this.infra.between(1_000, 10 * 60_000) / this.options.timeScale));
    for (const original of tombstone ? [emitted, tombstone] : [emitted]) {
      this.redeliveries++;
      this.enqueue({
        at,
        orderNo: original.orderNo,
        seq: REDELIVERY_SEQ_BASE + this.redeliveries,
        event: { system: 'redelivery', line: structuredClone(original.line) },
      });
    }
  }

  private stamp(line: ReplayLine, timestamp: number): ReplayLine {
    if (this.options.timestamps) line.timestamp = timestamp;
    else delete line.timestamp;
    return line;
  }

  /**
   * Debezium envelopes for one committed transaction, each delete followed by its tombstone. The
   * connector reads it at `readAt` (its commit time, unless the CRM lags) and processes it then.
   */
  private commit(tx: PlannedCrmTransaction, orderNo: number, readAt: number): void {
    this.txId += this.infra.int(1, 4);
    for (const change of tx.changes) {
      this.lsn += this.infra.int(1, 48);
      const committedAt = tx.at + change.tsOffset;
      const processedAt = Math.max(this.lastProcessedAt, Math.max(committedAt, readAt) + this.infra.int(1, 400));
      this.lastProcessedAt = processedAt;
      const topic = CRM_TOPIC[change.table];
      const schema = CRM_SCHEMA[change.table];
      const value = {
        before: change.before,
        after: change.after,
        source: {
          version: '2.7.3.Final',
          connector: 'postgresql',
          name: 'crm',
          ts_ms: committedAt,
          snapshot: null,
          db: 'crm',
          schema: 'public',
          table: change.table,
          txId: this.txId,
          lsn: this.lsn,
        },
        op: change.op,
        ts_ms: processedAt,
      };
      this.outbox.push({ at: readAt, orderNo, line: this.stamp({ topic, key: change.key, schema, value }, processedAt) });
      if (change.op === 'd') {
        this.outbox.push({ at: readAt, orderNo, line: this.stamp({ topic, key: change.key, schema, value: null }, processedAt) });
      }
    }
  }

  private enqueue(entry: PendingEntry): void {
    this.queue.push(entry);
    this.pendingPerOrder.set(entry.orderNo, (this.pendingPerOrder.get(entry.orderNo) ?? 0) + 1);
  }

  private settle(orderNo: number): void {
    const left = (this.pendingPerOrder.get(orderNo) ?? 1) - 1;
    if (left > 0) this.pendingPerOrder.set(orderNo, left);
    else this.pendingPerOrder.delete(orderNo);
  }

  /** Plans every order that arrives before the next queued event (or the next one, if none is queued). */
  private planArrivals(): void {
    for (;;) {
      if (!this.canStartOrder) return;
      const head = this.queue.peek();
      if (head && head.at < this.nextArrival) return;
      this.planOrder();
    }
  }

  private planOrder(): void {
    const { options } = this;
    const orderNo = options.firstOrderNo + this.planned;
    const orderId = formatOrderId(options.orderIdPrefix, orderNo);
    const kind = kindOfOrder(options, orderId);
    const plan = tellStory({
      seed: options.seed,
      orderId,
      orderNo,
      orderIdPrefix: options.orderIdPrefix,
      kind,
      staysStuck: staysStuck(options, orderId, kind),
      t0: this.nextArrival,
      timeScale: options.timeScale,
      wmsV1Share: options.wmsV1Share,
    });
    plan.events.forEach((planned, seq) => {
      const { event, leavesAt } = this.windows.place(planned);
      this.enqueue({ at: leavesAt, orderNo, seq, event });
    });
    this.planned++;
    this.lastStartedAt = this.nextArrival;
    this.nextArrival += Math.max(1, Math.round(this.arrivals.exponential(1000 / options.ratePerSec)));
  }
}
