import type { IssueText } from '../normalize/zod-issue-text.js';
import { subjectOf, type CaseSubjectKind } from './condition-schema.js';
import { linkPlaceholders, type LinkPlaceholder } from './playbook-schema.js';
import type { RuleConfig } from './rule-schema.js';

/** Placeholders a link can fill, by what the rule's cases are about. */
const PLACEHOLDERS_FOR: Readonly<Record<CaseSubjectKind, readonly LinkPlaceholder[]>> = {
  order: ['order_id', 'case_id'],
  shipment: ['tracking_no', 'case_id'],
  source: ['source', 'case_id'],
};

function exactlyOne(value: object, path: PropertyKey[], what: string, problems: IssueText[]): void {
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    problems.push({ path, message: `expected exactly one of ${what}, got ${keys.length === 0 ? 'none' : keys.join(' and ')}` });
  }
}

function checkCondition(rule: RuleConfig, problems: IssueText[]): void {
  const condition = rule.condition;
  if (condition.kind === 'waiting') {
    exactlyOne(condition.until, ['condition', 'until'], 'field, status_in, shipment_status_in', problems);
    if (condition.when !== undefined) exactlyOne(condition.when, ['condition', 'when'], 'status_in, status_not_in', problems);
    if (condition.until.field === condition.since) {
      problems.push({ path: ['condition', 'until', 'field'], message: `the wait starts from ${condition.since}; expected another field to wait for` });
    }
  }
  if (condition.kind === 'exception' && condition.when !== undefined) {
    exactlyOne(condition.when, ['condition', 'when'], 'status_in, status_not_in', problems);
  }
  if (condition.kind === 'source_silent' || condition.kind === 'source_lagging') {
    const seen = new Set<string>();
    condition.sources.forEach((source, i) => {
      if (seen.has(source)) problems.push({ path: ['condition', 'sources', i], message: `"${source}" is listed twice; expected each source once` });
      seen.add(source);
    });
  }
}

function checkSubjectOptions(rule: RuleConfig, subject: CaseSubjectKind, problems: IssueText[]): void {
  if (subject !== 'order') {
    if (rule.channels !== undefined) {
      problems.push({ path: ['channels'], message: `channels apply to order rules only; a ${rule.condition.kind} rule has no channel` });
    }
    if (rule.evidence !== undefined) {
      problems.push({ path: ['evidence'], message: `evidence fields are view fields, for order rules only; a ${rule.condition.kind} rule records its own evidence` });
    }
    if (rule.threshold === 0) {
      problems.push({ path: ['threshold'], message: `a ${rule.condition.kind} rule fires for every ${subject} at once with threshold 0; expected a duration above 0` });
    }
  }
  if (rule.at_risk_share !== undefined && rule.threshold === 0) {
    problems.push({ path: ['at_risk_share'], message: 'a share of a zero threshold is no warning; expected a threshold above 0, or no at_risk_share' });
  }
}

function checkLinks(rule: RuleConfig, subject: CaseSubjectKind, problems: IssueText[]): void {
  const allowed = PLACEHOLDERS_FOR[subject];
  rule.playbook.forEach((step, i) => {
    if (step.link === undefined) return;
    for (const name of linkPlaceholders(step.link)) {
      if (!(allowed as readonly string[]).includes(name)) {
        problems.push({
          path: ['playbook', i, 'link'],
          message: `{${name}} is not known for ${subject} cases; expected ${allowed.map((p) => `{${p}}`).join(' or ')}`,
        });
      }
    }
  });
}

/**
 * Everything zod cannot see in one rule: exactly one key where the schema offers several, options
 * that only apply to some condition kinds, at-risk shares of a zero threshold, and link placeholders
 * the rule's cases cannot fill. Rule names across files are checked by the loader.
 */
export function checkRule(rule: RuleConfig): IssueText[] {
  const problems: IssueText[] = [];
  const subject = subjectOf(rule.condition.kind);
  checkCondition(rule, problems);
  checkSubjectOptions(rule, subject, problems);
  checkLinks(rule, subject, problems);
  return problems;
}
