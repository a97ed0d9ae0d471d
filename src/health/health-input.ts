import type { GoldenViewBody } from '../golden/index.js';
import type { SourceSystem } from './rule-vocabulary.js';

/**
 * A golden view change, as the merge stage produces it (a `ViewChange` fits). A view never moves the
 * watermark — the batch's arrivals do, after its views — but its own newest event time proves how
 * far event time has got for its order: stages due by then are taken at once.
 */
export interface ViewInput {
  readonly type: 'view';
  readonly orderId: string;
  /** The new view; null when the order was deleted. */
  readonly view: GoldenViewBody | null;
  /** The view's version: a version not above the last one seen for the order is ignored (redelivery). */
  readonly version: number;
}

/** One source event reached orderlake: `eventTime` is its source time, `arrivedAt` the wall clock then. */
export interface Arrival {
  readonly source: SourceSystem;
  readonly eventTime: number;
  /** When it arrived (Kafka timestamp, or the recorded one in a replay; never read from a clock here). */
  readonly arrivedAt: number;
}

/**
 * Source events in the order they arrived, each judged in turn: its source's silence and lag, then
 * the timers its event time makes due. Only the order matters, never how arrivals are grouped into
 * inputs, so a replay that keeps the recorded arrival order gives the same source cases.
 */
export interface ArrivalsInput {
  readonly type: 'arrivals';
  readonly arrivals: readonly Arrival[];
}

/**
 * A source event time seen without an arrival to go with it (e.g. the newest event time another
 * stage shared). Counted like an arrival's: the allowed lateness is subtracted.
 */
export interface WatermarkInput {
  readonly type: 'watermark';
  readonly eventTime: number;
}

/** The wall clock reads `now` (live only): moves event time on while every source is idle. */
export interface ClockInput {
  readonly type: 'clock';
  readonly now: number;
}

/**
 * A TMS event of `trackingNo` waits in the linker for its order; `eventTime` is its `occurred_at`.
 * Feed one per waiting event (the earliest sets the start of the wait); it does not move the watermark.
 */
export interface ShipmentWaitingInput {
  readonly type: 'shipment_waiting';
  readonly trackingNo: string;
  readonly eventTime: number;
}

/**
 * The tracking number's order is known. `linkedAt` is the event time of the event that linked it
 * (the WMS event carrying the tracking number), when known: the case then heals exactly then.
 */
export interface ShipmentLinkedInput {
  readonly type: 'shipment_linked';
  readonly trackingNo: string;
  readonly orderId: string;
  readonly linkedAt: number | null;
}

/** Everything the health engine is fed; its output is a pure function of these, in order. */
export type HealthInput = ViewInput | ArrivalsInput | WatermarkInput | ClockInput | ShipmentWaitingInput | ShipmentLinkedInput;

/**
 * The inputs of one merged batch in the order the engine should see them: the view changes first
 * (they hold every event of the batch), then the batch's arrivals as one input, which moves the
 * watermark — so timers that fall due in the batch are judged against the newest views.
 */
export function batchInputs(
  changes: ReadonlyArray<{ orderId: string; view: GoldenViewBody | null; version: number }>,
  arrivals: readonly Arrival[],
): HealthInput[] {
  const inputs: HealthInput[] = changes.map((change) => ({ type: 'view', orderId: change.orderId, view: change.view, version: change.version }));
  if (arrivals.length > 0) inputs.push({ type: 'arrivals', arrivals });
  return inputs;
}
