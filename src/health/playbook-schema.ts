import { z } from 'zod';
import { PLAYBOOK_ACTIONS } from './rule-vocabulary.js';

/** Placeholders a playbook link may use; which ones a rule may use depends on what its cases are about. */
export const LINK_PLACEHOLDERS = ['order_id', 'tracking_no', 'source', 'case_id'] as const;
export type LinkPlaceholder = (typeof LINK_PLACEHOLDERS)[number];

/** One step of a playbook: what to do, optionally as a fixed action and with a link to do it at. */
export const playbookStepSchema = z
  .strictObject({
    /**
     * What to do, in the words an agent reads on the case. Required: a step without text cannot be
     * followed by a person, even when a service automates its `action`.
     */
    step: z.string().min(1).describe('What to do, as the agent reads it on the case.'),
    /**
     * Optional machine-readable action, one of PLAYBOOK_ACTIONS, so that a service can carry out
     * the step (or the console can offer a button) without parsing the text. Default: none.
     */
    action: z.enum(PLAYBOOK_ACTIONS).optional().describe('Optional fixed action a service or the console can carry out.'),
    /**
     * Optional link template: an http(s) URL of another system, or a path of orderlake's own API
     * (`/orders/{order_id}/timeline`). `{order_id}`, `{tracking_no}`, `{source}` and `{case_id}`
     * are replaced (URL-encoded) when the case opens. Default: none.
     */
    link: z
      .string()
      .regex(/^(https?:\/\/|\/)\S*$/, 'expected an http(s) URL or an orderlake path such as "/orders/{order_id}/timeline"')
      .optional()
      .describe('Optional link: an http(s) URL or an orderlake path, with {order_id}, {tracking_no}, {source} or {case_id}.'),
  })
  .describe('One step of the playbook.');

export type PlaybookStepConfig = z.output<typeof playbookStepSchema>;

/** The `{name}` placeholders of a link template, in order of appearance. */
export function linkPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((match) => match[1] ?? '');
}
