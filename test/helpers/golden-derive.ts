import { applyEvent, createOrderState, deriveView, type GoldenStore, type GoldenViewBody } from '../../src/golden/index.js';
import type { CanonicalEvent } from '../../src/normalize/canonical-event.js';

/** The view of one order after applying `events` in the given order (null: no view). */
export function viewOf(events: readonly CanonicalEvent[], orderId = 'SO-1'): GoldenViewBody | null {
  const state = createOrderState(orderId);
  for (const event of events) applyEvent(state, event);
  return deriveView(state);
}

/** Like {@link viewOf}, for tests that expect a view to exist. */
export function mustView(events: readonly CanonicalEvent[], orderId = 'SO-1'): GoldenViewBody {
  const view = viewOf(events, orderId);
  if (view === null) throw new Error(`expected a view of ${orderId}`);
  return view;
}

/** The views of every order of `store` that has one, by order id, without `version` and `updated_at`. */
export function storeBodies(store: GoldenStore): Record<string, GoldenViewBody> {
  const out: Record<string, GoldenViewBody> = {};
  for (const orderId of store.orderIds()) {
    const view = store.get(orderId);
    if (view === null) continue;
    const { version: _version, updated_at: _updatedAt, ...body } = view;
    out[orderId] = body;
  }
  return out;
}
