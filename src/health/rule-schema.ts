import { z } from 'zod';
import { conditionSchema } from './condition-schema.js';
import { DURATION_EXPECTATION, DURATION_PATTERN, parseDuration } from './duration.js';
import { playbookStepSchema } from './playbook-schema.js';
import { EVIDENCE_FIELDS, SEVERITIES } from './rule-vocabulary.js';

/**
 * The schema of a rule file (`pipelines/rules/<name>.yaml`): one rule per file. Checked once when
 * the rules are loaded (and by `orderlake lint`); unknown keys are refused so that a typo fails
 * fast instead of being silently ignored. Durations are written as `30m`, `4h`, `1h30m` and parsed
 * to milliseconds.
 */

/**
 * A duration string, parsed to milliseconds. A bare YAML number is read as text, so `0` is allowed
 * and `30` is refused with the duration message (a number without a unit is ambiguous).
 */
export const durationSchema = z.preprocess(
  (value) => (typeof value === 'number' ? String(value) : value),
  z
    .string()
    .regex(DURATION_PATTERN, DURATION_EXPECTATION)
    .transform((text) => parseDuration(text) as number),
);

export const ruleFileSchema = z
  .strictObject({
    /**
     * Unique rule name (lowercase letters, digits, "-"). Part of every case id, so renaming a rule
     * starts new cases: choose it once.
     */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a rule name of lowercase letters, digits and "-" such as "paid-not-released"')
      .describe('Unique rule name; part of every case id.'),
    /** One sentence an agent reads on the case: what is wrong and why it matters. Required. */
    description: z.string().min(1).describe('What is wrong, as the agent reads it.'),
    /** info | warning | critical. Required: the queue sorts by it, so it must be a decision. */
    severity: z.enum(SEVERITIES).describe('info, warning or critical.'),
    /** The queue (team) that handles the cases, e.g. `fulfillment-ops`. Required; free text, filterable. */
    queue: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a queue name of lowercase letters, digits and "-" such as "fulfillment-ops"')
      .describe('Who handles the cases.'),
    /** The ordered steps to take; at least one, since a case nobody knows how to work is noise. */
    playbook: z.array(playbookStepSchema).min(1).describe('Ordered steps an agent or a service should take.'),
    /**
     * How long the condition may hold before the case breaches, in event time. Unit: duration
     * string. `0` opens the case at once (exception rules). Required: there is no sane default.
     */
    threshold: durationSchema.describe('How long the condition may hold before the case breaches (e.g. 30m, 4h; 0 = at once).'),
    /**
     * Per-channel thresholds (`channels: { MEITUAN: { threshold: 20m } }`), for order rules only.
     * Default: none, every channel uses `threshold`. Reason: instant-delivery channels promise
     * minutes where parcel channels promise days.
     */
    channels: z
      .record(
        z.string().min(1),
        z.strictObject({
          /** The threshold for orders of this channel. Unit: duration string. */
          threshold: durationSchema.describe('Threshold for orders of this channel.'),
        }),
      )
      .optional()
      .describe('Per-channel threshold overrides (order rules only).'),
    /**
     * Share of the threshold after which the case opens as *at risk* (a warning before the breach),
     * e.g. 0.8. Unit: fraction, above 0 and below 1. Default: none, no at-risk stage. Reason: agents
     * act before the breach; only meaningful for rules with a time threshold above 0.
     */
    at_risk_share: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .describe('Fraction of the threshold after which the case opens as at risk (0 < share < 1).'),
    /**
     * View fields copied into the case's evidence (order rules only). Default: the status and the
     * fields the condition reads. Reason: the agent sees why the case fired without a second screen.
     */
    evidence: z.array(z.enum(EVIDENCE_FIELDS)).min(1).optional().describe('View fields copied into the evidence (order rules only).'),
    /**
     * What the rule tests, one of a fixed set of kinds (see `condition-schema.ts`). Required. Reason:
     * a declarative kind is evaluated the same live and in a replay, which free code would not be.
     */
    condition: conditionSchema,
  })
  .describe('One health rule: a condition, its threshold, who handles it and how.');

export type RuleConfig = z.output<typeof ruleFileSchema>;

/** A loaded rule: the file's content (durations in ms) and the file it came from. */
export interface Rule extends RuleConfig {
  readonly file: string;
}
