import { z } from 'zod';
import {
  CANONICAL_STATUSES,
  LAG_STATISTICS,
  ORDER_EXCEPTION_CODES,
  SHIPMENT_STATUSES,
  SOURCE_SYSTEMS,
  VIEW_TIME_FIELDS,
} from './rule-vocabulary.js';

/**
 * The conditions a rule can test: a small fixed set of declarative kinds, each with parameters.
 * New behaviour is a new kind here (with its evaluator), never code in a rule file.
 */

const statusList = z.array(z.enum(CANONICAL_STATUSES)).min(1);

/**
 * What a `waiting` order is waiting for. Exactly one key (checked after parsing, so that the
 * message names the key instead of "does not match any form").
 */
export const untilSchema = z
  .strictObject({
    /** A view timestamp that is still null; reached at its value, so a late event heals exactly. */
    field: z.enum(VIEW_TIME_FIELDS).optional().describe('A view timestamp the order waits for (reached when it is set, at its value).'),
    /** Canonical statuses; reached at the order's newest event time once the status is one of them. */
    status_in: statusList.optional().describe('Canonical statuses that end the wait.'),
    /** Shipment statuses; reached once any shipment of the order has one of them (a carrier scan). */
    shipment_status_in: z
      .array(z.enum(SHIPMENT_STATUSES))
      .min(1)
      .optional()
      .describe('Shipment statuses (newest TMS code) that end the wait once any shipment has one.'),
  })
  .describe('What ends the wait: exactly one of field, status_in, shipment_status_in.');

/** While which statuses a `waiting` rule applies. Exactly one key; absent: whatever the status. */
export const whenSchema = z
  .strictObject({
    /** The rule applies only while the status is one of these. */
    status_in: statusList.optional().describe('Apply only while the canonical status is one of these.'),
    /** The rule applies only while the status is none of these (e.g. not CANCELLED). */
    status_not_in: statusList.optional().describe('Apply only while the canonical status is none of these.'),
  })
  .describe('Optional guard: exactly one of status_in, status_not_in.');

/** Sources a source rule watches. Default: all three; each source gets its own cases. */
const sourceList = z
  .array(z.enum(SOURCE_SYSTEMS))
  .min(1)
  .default([...SOURCE_SYSTEMS])
  .describe('Source systems to watch; default all (crm, wms, tms).');

export const waitingConditionSchema = z.strictObject({
  /**
   * The order waits, since a view timestamp, for something to happen: at risk at `since + share ×
   * threshold`, breached at `since + threshold` (event time), self-healed when `until` is reached or
   * `when` stops holding.
   */
  kind: z.literal('waiting'),
  /** The view timestamp the wait starts from; the rule is idle while it is null. */
  since: z.enum(VIEW_TIME_FIELDS).describe('View timestamp the wait starts from.'),
  /** What ends the wait. Required: a wait with no end would never heal. */
  until: untilSchema,
  /** Optional guard; without it the rule applies whatever the status. */
  when: whenSchema.optional(),
});

export const exceptionConditionSchema = z.strictObject({
  /** An exception code is in the view: breached once it has been there for the threshold (0: at once); self-heals when it leaves. */
  kind: z.literal('exception'),
  /** The case is open while the view has any of these codes in `exceptions`. */
  codes: z.array(z.enum(ORDER_EXCEPTION_CODES)).min(1).describe('Exception codes of the view that open the case.'),
  /** Optional guard, as for `waiting`: e.g. an address change after packing stops mattering once delivered. */
  when: whenSchema.optional(),
});

export const unlinkedShipmentConditionSchema = z.strictObject({
  /**
   * A tracking number's carrier events wait for their order longer than the threshold (from the
   * oldest waiting event, in event time). Keyed by tracking number; self-heals at the link.
   */
  kind: z.literal('unlinked_shipment'),
});

export const sourceSilentConditionSchema = z.strictObject({
  /**
   * No event from a source for the threshold: the watermark (moved by the other sources, or by the
   * wall clock while all are idle) has passed the source's newest event time by that much.
   */
  kind: z.literal('source_silent'),
  /** Sources watched; default all three. */
  sources: sourceList,
});

export const sourceLaggingConditionSchema = z.strictObject({
  /**
   * A source's events arrive late: the statistic of `arrivedAt − eventTime` over its recent arrivals
   * reaches the threshold (at risk at the share). Self-heals below the level that opened the case.
   */
  kind: z.literal('source_lagging'),
  /** Sources watched; default all three. */
  sources: sourceList,
  /**
   * Statistic of `arrivedAt − eventTime` over the source's last `window` arrivals. Default p50: a
   * median ignores a few re-delivered old events (connector restarts) but follows a whole source
   * falling behind; `max` flags a single late event.
   */
  statistic: z.enum(LAG_STATISTICS).default('p50').describe('Statistic of the lag over the window; default p50.'),
  /**
   * How many of the source's most recent arrivals the statistic covers. Default 50: enough that
   * one late event does not move a median, few enough that recovery shows within one batch.
   */
  window: z.number().int().min(1).max(10_000).default(50).describe('Arrivals the statistic covers; default 50.'),
});

/** The condition of a rule, by `kind`. */
export const conditionSchema = z
  .discriminatedUnion('kind', [
    waitingConditionSchema,
    exceptionConditionSchema,
    unlinkedShipmentConditionSchema,
    sourceSilentConditionSchema,
    sourceLaggingConditionSchema,
  ])
  .describe('What the rule tests: waiting, exception, unlinked_shipment, source_silent or source_lagging.');

export type RuleCondition = z.output<typeof conditionSchema>;
export type WaitingCondition = z.output<typeof waitingConditionSchema>;
export type ExceptionCondition = z.output<typeof exceptionConditionSchema>;
export type SourceSilentCondition = z.output<typeof sourceSilentConditionSchema>;
export type SourceLaggingCondition = z.output<typeof sourceLaggingConditionSchema>;
export type ConditionKind = RuleCondition['kind'];

/** What a rule's cases are about: an order, a tracking number, or a source system. */
export type CaseSubjectKind = 'order' | 'shipment' | 'source';

/** The subject kind of a condition kind. */
export function subjectOf(kind: ConditionKind): CaseSubjectKind {
  if (kind === 'waiting' || kind === 'exception') return 'order';
  if (kind === 'unlinked_shipment') return 'shipment';
  return 'source';
}
