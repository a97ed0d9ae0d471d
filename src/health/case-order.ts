import { compareCodePoints } from '../golden/index.js';
import type { HealthCase } from './health-case.js';

const SUBJECT_ORDER = { order: 0, shipment: 1, source: 2 } as const;

/**
 * Cases by what they are about (orders first, by order id; then tracking numbers; then sources),
 * then rule, then id — code-point order throughout: the order of `replay --cases` files.
 */
export function compareCases(a: HealthCase, b: HealthCase): number {
  return (
    SUBJECT_ORDER[a.subject] - SUBJECT_ORDER[b.subject] ||
    compareCodePoints(a.order_id ?? a.tracking_no ?? a.source ?? '', b.order_id ?? b.tracking_no ?? b.source ?? '') ||
    compareCodePoints(a.rule, b.rule) ||
    compareCodePoints(a.case_id, b.case_id)
  );
}
