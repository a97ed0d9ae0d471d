import { ReorderBuffer } from './delivery-order.js';
import type { ReplayLine } from './replay-line.js';
import { resolveScenarioOptions, TRAFFIC_DEFAULTS, type ScenarioOptions } from './scenario-options.js';
import { createRng } from './seeded-random.js';
import { SimulationEngine } from './simulation-engine.js';

/** Orders started in one `next(now)` call while waiting for something due. */
const MAX_STARTS_PER_PULL = 8;

/**
 * Live reference traffic. Two ways to drive it:
 * - `next(now)`: demand-driven, for a caller that paces by events per second. Lines due by `now`
 *   (the caller's clock) come first; when none is due a new order starts at `now`, so event times
 *   follow the caller's clock and the traffic rate follows the caller's pull rate. Once no order may
 *   start any more, the remaining lines come in order even if they lie ahead of `now`.
 * - `next()` or iteration: orders arrive on a Poisson schedule (`ratePerSec` orders per simulated
 *   second from `startTime`); compare `peekTime()` with a clock to pace them.
 * Only orders with events still to come are held (`inFlightOrders`), plus at most `shuffleWindow`
 * lines held back for out-of-order delivery.
 */
export interface TrafficGenerator extends Iterable<ReplayLine> {
  /** The next line, or null when a bounded run (`orders`) is over. */
  next(now?: number): ReplayLine | null;
  /** Simulated time of the next line on the schedule (before reordering), or undefined at the end. */
  peekTime(): number | undefined;
  /** Orders with events still to emit. */
  readonly inFlightOrders: number;
  /** Orders started so far. */
  readonly startedOrders: number;
  /** Lines returned so far. */
  readonly emittedLines: number;
  /** Lines currently held back for out-of-order delivery. */
  readonly heldBack: number;
}

class LiveTraffic implements TrafficGenerator {
  private readonly engine: SimulationEngine;
  private readonly buffer: ReorderBuffer<ReplayLine>;
  private emitted = 0;

  constructor(options: ScenarioOptions) {
    const resolved = resolveScenarioOptions(options, TRAFFIC_DEFAULTS);
    this.engine = new SimulationEngine(resolved);
    this.buffer = new ReorderBuffer(resolved.shuffle === 'none' ? 0 : resolved.shuffleWindow, createRng(resolved.seed, 'delivery'));
  }

  get inFlightOrders(): number {
    return this.engine.inFlightOrders;
  }

  get startedOrders(): number {
    return this.engine.startedOrders;
  }

  get emittedLines(): number {
    return this.emitted;
  }

  get heldBack(): number {
    return this.buffer.size;
  }

  peekTime(): number | undefined {
    return this.engine.peekTime();
  }

  next(now?: number): ReplayLine | null {
    while (this.buffer.size <= this.buffer.capacity) {
      const line = this.pull(now);
      if (line === undefined) break;
      this.buffer.push(line);
    }
    const line = this.buffer.popRandom();
    if (line === undefined) return null;
    this.emitted++;
    return line;
  }

  *[Symbol.iterator](): Iterator<ReplayLine> {
    for (let line = this.next(); line !== null; line = this.next()) yield line;
  }

  private pull(now: number | undefined): ReplayLine | undefined {
    if (now === undefined) return this.engine.next()?.line;
    for (let started = 0; started < MAX_STARTS_PER_PULL; started++) {
      const head = this.engine.peekTime(false);
      if ((head !== undefined && head <= now) || !this.engine.canStartOrder) break;
      this.engine.startOrder(now);
    }
    return this.engine.next(false)?.line;
  }
}

/** Creates live traffic; see {@link TrafficGenerator}. Validates options like generateScenario. */
export function createTrafficGenerator(options: ScenarioOptions & { ratePerSec?: number }): TrafficGenerator {
  return new LiveTraffic(options);
}
