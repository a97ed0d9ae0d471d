import type { ViewInput, WatermarkInput } from '../../../../src/health/index.js';
import type { CanonicalEvent } from '../../../../src/normalize/index.js';
import { viewOf } from '../../../helpers/golden-derive.js';

/**
 * Test support: one order's events fed step by step, each step giving the view input the merge
 * stage would emit (version + 1 when the view changed).
 */
export class OrderFeed {
  readonly orderId: string;
  readonly #events: CanonicalEvent[] = [];
  #version = 0;
  #last: string | undefined;

  constructor(orderId = 'SO-1') {
    this.orderId = orderId;
  }

  /** Applies `events`; returns the view change, or no input when the view did not change. */
  add(...events: CanonicalEvent[]): ViewInput[] {
    this.#events.push(...events);
    const view = viewOf(this.#events, this.orderId);
    const text = JSON.stringify(view);
    if (text === this.#last) return [];
    this.#last = text;
    this.#version += 1;
    return [{ type: 'view', orderId: this.orderId, view, version: this.#version }];
  }
}

/** Event time has reached `at` (a watermark input). */
export function watermark(at: number): WatermarkInput {
  return { type: 'watermark', eventTime: at };
}
