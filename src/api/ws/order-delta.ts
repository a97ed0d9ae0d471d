import { GOLDEN_BODY_FIELDS, type GoldenView, type ViewChange } from '../../golden/index.js';

/**
 * One change of one order as the feed sends it, computed once per change and shared by every
 * subscription and the resume history. `fields` holds the new values of the changed top-level
 * fields (`updated_at` included); it is empty for a delete.
 */
export interface OrderDelta {
  readonly orderId: string;
  readonly fromVersion: number;
  readonly version: number;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly deleted: boolean;
}

/** The store raises an order's version by exactly one per change, so a change starts from `version - 1`. */
export function deltaOf(change: ViewChange): OrderDelta {
  const view = change.view;
  if (view === null) {
    return { orderId: change.orderId, fromVersion: change.version - 1, version: change.version, fields: {}, deleted: true };
  }
  const fields: Record<string, unknown> = {};
  for (const field of change.changedFields) fields[field] = view[field as keyof GoldenView];
  fields.updated_at = view.updated_at;
  return { orderId: change.orderId, fromVersion: change.version - 1, version: change.version, fields, deleted: false };
}

/** Every field of a view but `version` (which a delta carries on its own): for an order a client does not hold. */
export function everyField(view: GoldenView): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const field of GOLDEN_BODY_FIELDS) fields[field] = view[field];
  fields.updated_at = view.updated_at;
  return fields;
}
