/** A tracking number whose TMS events wait for the link to their order. */
export interface ShipmentWait {
  /** Event time of the oldest waiting TMS event. */
  since: number;
  /** Waiting events reported so far. */
  events: number;
}

/**
 * Tracking numbers waiting for their order link, by tracking number (never by order: the order is
 * what is missing). Fed from the linker: each TMS event that has to wait, then the link.
 */
export class ShipmentWaits {
  readonly #waits = new Map<string, ShipmentWait>();

  get size(): number {
    return this.#waits.size;
  }

  /** A TMS event of `trackingNo` with event time `eventTime` waits; returns the updated wait. */
  wait(trackingNo: string, eventTime: number): ShipmentWait {
    const current = this.#waits.get(trackingNo);
    const next = current === undefined ? { since: eventTime, events: 1 } : { since: Math.min(current.since, eventTime), events: current.events + 1 };
    this.#waits.set(trackingNo, next);
    return next;
  }

  /** The link arrived: the wait is over. Returns it, if there was one. */
  link(trackingNo: string): ShipmentWait | undefined {
    const current = this.#waits.get(trackingNo);
    this.#waits.delete(trackingNo);
    return current;
  }
}
