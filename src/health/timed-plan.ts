import type { CaseStage } from './case-steps.js';
import type { Evidence } from './health-case.js';

/**
 * A condition that holds for a subject, laid out in event time: when it started, when the case
 * would warn and breach, and — once known exactly — when it ended. Conditions are evaluated into
 * plans; the engine turns plans into case steps as the watermark passes their times.
 */
export interface TimedPlan {
  /** Names this episode of the condition (e.g. `paid_at=<time>`); part of the case id. */
  readonly anchor: string;
  readonly since: number;
  readonly thresholdMs: number;
  /** The order's channel when it chose the threshold; null otherwise. */
  readonly channel: string | null;
  /** When the case warns; null without an at-risk stage (no share, or a zero threshold). Always before `dueAt`. */
  readonly atRiskAt: number | null;
  readonly dueAt: number;
  /**
   * The event time the condition ended at, when that is known exactly (the view's `released_at`, a
   * source's next event). Stages at or before it happened even if they were never seen live: an
   * order released 40 minutes after payment *was* stuck at 30, whatever the batches.
   */
  readonly endedAt: number | null;
  /** Why the case fires; computed only when a case step needs it (most plans never open a case). */
  readonly evidence: () => Evidence;
}

/** Builds a plan: at-risk at `since + share × threshold` when a share is set and the threshold is above 0. */
export function timedPlan(input: {
  anchor: string;
  since: number;
  thresholdMs: number;
  atRiskShare: number | undefined;
  channel: string | null;
  endedAt: number | null;
  evidence: () => Evidence;
}): TimedPlan {
  const { since, thresholdMs, atRiskShare } = input;
  const atRiskAt = atRiskShare !== undefined && thresholdMs > 0 ? since + Math.round(atRiskShare * thresholdMs) : null;
  return {
    anchor: input.anchor,
    since,
    thresholdMs,
    channel: input.channel,
    atRiskAt: atRiskAt !== null && atRiskAt < since + thresholdMs ? atRiskAt : null,
    dueAt: since + thresholdMs,
    endedAt: input.endedAt,
    evidence: input.evidence,
  };
}

/** The stage after `reached`, with its time: at risk (when the plan has one), then breached; null after the breach. */
export function nextStage(plan: TimedPlan, reached: CaseStage | 'none'): { stage: CaseStage; at: number } | null {
  if (reached === 'none' && plan.atRiskAt !== null) return { stage: 'at_risk', at: plan.atRiskAt };
  if (reached !== 'breached') return { stage: 'breached', at: plan.dueAt };
  return null;
}
