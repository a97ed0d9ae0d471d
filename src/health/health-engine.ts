import type { AgentAction } from './case-actions.js';
import { CaseBook } from './case-book.js';
import { compareCases } from './case-order.js';
import { subjectKey, type CaseSubject } from './case-subject.js';
import { subjectOf } from './condition-schema.js';
import { EventClock, type EventClockOptions } from './event-clock.js';
import type { CaseChange, HealthCase } from './health-case.js';
import type { HealthInput } from './health-input.js';
import { OrderWatch } from './order-watch.js';
import { PlanSlots } from './plan-slots.js';
import type { Rule } from './rule-schema.js';
import { ShipmentWatch } from './shipment-watch.js';
import { SourceWatch } from './source-watch.js';

export interface HealthEngineOptions extends EventClockOptions {
  /** The loaded rules (`loadRules`). */
  readonly rules: readonly Rule[];
  /**
   * Settled shipment and source cases held after they resolve. Default 10 000: enough that a
   * tracking number or silence that comes back finds its case (which reopens, versions going on),
   * while memory stays bounded; order cases are held with their order instead (see `evict`).
   */
  readonly retainSettled?: number;
}

/** Counts for metrics and logs. */
export interface HealthEngineStats {
  /** Cases held in memory (resolved order cases included, until their order is evicted). */
  readonly cases: number;
  readonly open: number;
  readonly atRisk: number;
  /** Deadlines waiting for the watermark. */
  readonly timers: number;
  /** Tracking numbers waiting for their order. */
  readonly waitingShipments: number;
}

/**
 * The health rules of one worker: fed view changes, source arrivals, shipment waits and clock
 * readings, it returns the case changes to persist and push. A pure function of its inputs in
 * order — no clock is read, case ids are hashes — so feeding the same inputs gives the same
 * changes, however they are split into `apply` calls.
 *
 * Event time: the watermark is the highest source event time of the arrivals (minus the allowed
 * lateness), moved on by the wall clock only while every source is idle. Views never move it, but
 * a view's own newest event time proves how far its order got. A stage whose time the watermark
 * passes is taken (at that time, not when it was noticed); a condition that ends at a known event
 * time (a release, a link, a source's next event) tells every stage before that time, even if the
 * watermark never saw it open — so the same events give the same cases however they were batched.
 */
export interface HealthEngine {
  /** Applies inputs in order; returns every case change they made, in the order made. */
  apply(inputs: Iterable<HealthInput>): CaseChange[];
  /**
   * An agent action on a held case (acknowledge, assign, comment, resolve). Throws
   * `OL_ERR_CASE_NOT_FOUND` (not held here) or `OL_ERR_CASE_ACTION_REFUSED` (not in that state).
   */
  act(caseId: string, action: AgentAction): CaseChange;
  get(caseId: string): HealthCase | undefined;
  /** The cases held for an order, resolved ones included, sorted by rule. */
  casesOfOrder(orderId: string): HealthCase[];
  /** Every case held, sorted by {@link compareCases}. */
  cases(): HealthCase[];
  /**
   * Holds stored cases again without a change (a worker taking over partitions). Feed the orders'
   * views afterwards: a restored case whose condition still holds carries on under its id; one
   * whose condition has ended self-heals.
   */
  restore(cases: Iterable<HealthCase>): void;
  /** Forgets an order: its cases, deadlines and last version (its partition was revoked, or it sleeps). */
  evict(orderId: string): void;
  /** The event-time watermark (epoch ms); null before any event time was seen. */
  readonly watermark: number | null;
  stats(): HealthEngineStats;
}

type RulesBy = { order: Rule[]; shipment: Rule[]; silent: Rule[]; lagging: Rule[] };

function splitRules(rules: readonly Rule[]): RulesBy {
  const by: RulesBy = { order: [], shipment: [], silent: [], lagging: [] };
  for (const rule of rules) {
    const kind = rule.condition.kind;
    if (subjectOf(kind) === 'order') by.order.push(rule);
    else if (kind === 'unlinked_shipment') by.shipment.push(rule);
    else if (kind === 'source_silent') by.silent.push(rule);
    else by.lagging.push(rule);
  }
  return by;
}

export function createHealthEngine(options: HealthEngineOptions): HealthEngine {
  const rules = splitRules(options.rules);
  const book = new CaseBook(options.retainSettled);
  const clock = new EventClock(options);
  const slots = new PlanSlots(book);
  const orders = new OrderWatch(rules.order, slots, book, clock);
  const shipments = new ShipmentWatch(rules.shipment, slots, book, clock);
  const sources = new SourceWatch(rules, slots, book, clock);

  /** Takes every stage the watermark has passed, in event-time order. */
  function fire(): void {
    const watermark = clock.watermark;
    if (watermark !== null) slots.fireDue(watermark);
  }

  function applyOne(input: HealthInput): void {
    switch (input.type) {
      case 'view':
        return orders.view(input);
      case 'arrivals':
        for (const arrival of input.arrivals) {
          sources.arrival(arrival);
          fire();
        }
        return;
      case 'watermark':
        clock.observe(input.eventTime);
        return fire();
      case 'clock':
        clock.tick(input.now);
        return fire();
      case 'shipment_waiting':
        return shipments.wait(input);
      case 'shipment_linked':
        return shipments.link(input);
    }
  }

  return {
    apply(inputs) {
      for (const input of inputs) applyOne(input);
      return book.takeChanges();
    },
    act(caseId, action) {
      const change = book.act(caseId, action);
      book.takeChanges();
      const acted = change.case;
      // A settled shipment or source case no slot stands for is retired like a self-healed one.
      if (acted.subject !== 'order' && acted.status === 'resolved') {
        const subject = (acted.subject === 'shipment' ? { kind: 'shipment', id: acted.tracking_no } : { kind: 'source', id: acted.source }) as CaseSubject;
        if (!sources.liveCaseIds(subject).has(caseId)) book.retire(caseId);
      }
      return change;
    },
    get(caseId) {
      return book.get(caseId);
    },
    casesOfOrder(orderId) {
      return book
        .idsOf(subjectKey({ kind: 'order', id: orderId }))
        .map((id) => book.get(id) as HealthCase)
        .sort(compareCases);
    },
    cases() {
      return [...book.values()].sort(compareCases);
    },
    restore(stored) {
      for (const held of stored) book.restore(held);
    },
    evict(orderId) {
      const subject: CaseSubject = { kind: 'order', id: orderId };
      slots.drop(subject);
      for (const id of book.idsOf(subjectKey(subject))) book.forget(id);
      orders.forget(orderId);
    },
    get watermark() {
      return clock.watermark;
    },
    stats() {
      let open = 0;
      let atRisk = 0;
      for (const held of book.values()) {
        if (held.status === 'resolved') continue;
        open += 1;
        if (held.at_risk) atRisk += 1;
      }
      return { cases: book.size, open, atRisk, timers: slots.pendingTimers, waitingShipments: shipments.waiting };
    },
  };
}
