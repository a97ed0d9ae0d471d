import { createHash } from 'node:crypto';

/**
 * The id of the case a rule opens for a subject and an anchor (the start of the wait, the silence):
 * `HC-` and 24 hex digits of a SHA-256, so that replaying the same inputs gives the same ids and a
 * restarted worker recognises the cases it stored.
 */
export function caseIdOf(subjectKey: string, rule: string, anchor: string): string {
  const digest = createHash('sha256').update(JSON.stringify([subjectKey, rule, anchor])).digest('hex');
  return `HC-${digest.slice(0, 24)}`;
}
