import type { GoldenViewBody } from '../golden/index.js';
import { isoMillis } from './iso-millis.js';
import type { Evidence, JsonValue } from './health-case.js';
import type { EvidenceField, ViewTimeField } from './rule-vocabulary.js';

/** Epoch ms of a view timestamp; null while it is null. */
export function viewTime(view: GoldenViewBody, field: ViewTimeField): number | null {
  const value = view[field];
  return value === null ? null : isoMillis(value);
}

/**
 * The order's newest source event time (the latest `last_event_at` in `sources`): how far event
 * time has provably got for this order, whatever the watermark says. null when no source has spoken.
 * View timestamps all have the one ISO form of `isoTimestamp`, so they compare as strings.
 */
export function newestEventTime(view: GoldenViewBody): number | null {
  let newest: string | null = null;
  for (const stats of [view.sources.crm, view.sources.wms, view.sources.tms]) {
    if (stats !== null && (newest === null || stats.last_event_at > newest)) newest = stats.last_event_at;
  }
  return newest === null ? null : isoMillis(newest);
}

/** A deep copy of a JSON value (views are plain JSON: no dates, maps or cycles). */
function copyJson(value: unknown): JsonValue {
  if (value === null || typeof value !== 'object') return value as JsonValue;
  if (Array.isArray(value)) return value.map(copyJson);
  const out: Record<string, JsonValue> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = copyJson(inner);
  return out;
}

/** Copies of the named view fields, so that a case never shares objects with the golden state. */
export function pickEvidence(view: GoldenViewBody, fields: readonly EvidenceField[]): Evidence {
  const evidence: Evidence = {};
  for (const field of fields) evidence[field] = copyJson(view[field]);
  return evidence;
}
