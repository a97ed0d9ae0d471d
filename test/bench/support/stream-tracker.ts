import type { DeltaMessage } from '../../../src/api/ws/index.js';
import type { WatchedOrder } from './live-deployment.js';
import { summarize, type LatencySummary } from './stats.js';

/**
 * Source event → WebSocket delta latency for a load sent in segments (a long run is built and sent
 * a few seconds at a time, so the whole schedule never sits in memory as messages). Each event
 * updates one watched order and is a new distinct event of its source, so the k-th event sent to an
 * order is reflected once the order's `sources.<kind>.events` has grown by k (as in the latency
 * benchmark). Latency runs from the event's intended send time: no coordinated omission.
 */
export interface StreamTracker {
  /** Registers a segment's events: `intended[i]` is event i's send time; it updates watched order i mod W. */
  addSegment(intended: Float64Array): void;
  onDelta(delta: DeltaMessage, receivedAt: number): void;
  /** Events registered and reflected by a delta so far. */
  readonly sent: number;
  readonly delivered: number;
  /** Latency of event `index` (in registration order), ms; NaN until a delta reflected it. */
  latencyOf(index: number): number;
  /** Latency of the events intended in [from, to), ms; undelivered ones counted at `giveUpAt` when given. */
  window(from: number, to: number, giveUpAt?: number): LatencySummary & { undelivered: number };
  /** Every watched order's count of distinct events of its kind once everything sent is in. */
  expectedEventCounts(): Map<string, { kind: WatchedOrder['kind']; events: number }>;
}

export function createStreamTracker(watched: readonly WatchedOrder[], capacity: number): StreamTracker {
  const w = watched.length;
  const byOrder = new Map(watched.map((o, index) => [o.orderId, index]));
  const baseEvents = watched.map((o) => o.seenEvents);
  const intendedAt = new Float64Array(capacity);
  const latency = new Float64Array(capacity).fill(Number.NaN);
  /** Per order, the global indexes of the events sent to it, in order. */
  const queues: number[][] = watched.map(() => []);
  const reflected = new Int32Array(w);
  let sent = 0;
  let delivered = 0;
  return {
    addSegment(intended) {
      if (sent + intended.length > capacity) throw new Error(`stream tracker full (${capacity} events)`);
      for (let i = 0; i < intended.length; i++) {
        intendedAt[sent] = intended[i]!;
        queues[i % w]!.push(sent);
        sent++;
      }
    },
    onDelta(delta, receivedAt) {
      const index = byOrder.get(delta.order_id);
      if (index === undefined) return;
      const sources = delta.fields.sources as Record<string, { events: number } | null> | undefined;
      const events = sources?.[watched[index]!.kind]?.events;
      if (events === undefined) return;
      const queue = queues[index]!;
      const reached = Math.min(events - baseEvents[index]!, queue.length);
      for (let k = reflected[index]!; k < reached; k++) {
        const event = queue[k]!;
        latency[event] = receivedAt - intendedAt[event]!;
        delivered++;
      }
      if (reached > reflected[index]!) reflected[index] = reached;
    },
    get sent() {
      return sent;
    },
    get delivered() {
      return delivered;
    },
    latencyOf(index) {
      return index < sent ? latency[index]! : Number.NaN;
    },
    window(from, to, giveUpAt) {
      const values: number[] = [];
      let undelivered = 0;
      for (let i = 0; i < sent; i++) {
        const at = intendedAt[i]!;
        if (at < from || at >= to) continue;
        const l = latency[i]!;
        if (!Number.isNaN(l)) values.push(l);
        else {
          undelivered++;
          if (giveUpAt !== undefined) values.push(giveUpAt - at);
        }
      }
      return { ...summarize(values), undelivered };
    },
    expectedEventCounts() {
      return new Map(watched.map((o, index) => [o.orderId, { kind: o.kind, events: baseEvents[index]! + queues[index]!.length }]));
    },
  };
}
