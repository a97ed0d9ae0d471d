import type { z } from 'zod';
import { issueText, type IssueText } from '../normalize/zod-issue-text.js';
import { DURATION_EXPECTATION } from './duration.js';

/** Every key a rule file can have, for "did you mean" hints on unknown keys. */
const RULE_KEYS = [
  'name', 'description', 'severity', 'queue', 'playbook', 'step', 'action', 'link', 'threshold', 'channels',
  'at_risk_share', 'evidence', 'condition', 'kind', 'since', 'until', 'when', 'field', 'status_in', 'status_not_in',
  'shipment_status_in', 'codes', 'sources', 'statistic', 'window',
];

/** Insertions, deletions and substitutions between two short keys (a typo is one or two). */
function distance(a: string, b: string): number {
  let previous = [...Array(b.length + 1).keys()];
  for (const [i, charA] of [...a].entries()) {
    const current = [i + 1];
    for (const [j, charB] of [...b].entries()) {
      current.push(Math.min((previous[j + 1] ?? 0) + 1, (current[j] ?? 0) + 1, (previous[j] ?? 0) + (charA === charB ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * A zod issue of a rule file, as the pipelines word theirs (the same `issueText`), except unknown
 * keys, whose hint must come from the rule file's keys, and thresholds, which expect a duration.
 */
export function ruleIssueText(issue: z.core.$ZodIssue, input: unknown): IssueText[] {
  if (issue.code === 'invalid_type' && issue.path.at(-1) === 'threshold') {
    // "expected a string" would be true but unhelpful: a threshold is a duration.
    return issueText(issue, input).map((text) => ({ ...text, message: text.message.replace(/expected a string/, DURATION_EXPECTATION) }));
  }
  if (issue.code !== 'unrecognized_keys') return issueText(issue, input);
  return issue.keys.map((key) => {
    const close = RULE_KEYS.find((known) => distance(known, key) <= 2);
    const hint = close === undefined ? '' : ` (did you mean "${close}"?)`;
    return { path: [...issue.path, key], message: `unknown key${hint}: not part of the rule file schema` };
  });
}
