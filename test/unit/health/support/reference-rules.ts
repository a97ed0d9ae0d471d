import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleFile, type Rule } from '../../../../src/health/index.js';
import { formatProblem } from '../../../../src/normalize/index.js';
import { PIPELINES_DIR } from '../../normalize/support/reference-deployment.js';

/** Test support: the shipped reference rules in `pipelines/rules/`. */
export const RULES_DIR = join(PIPELINES_DIR, 'rules');

/** Every reference rule, by name. */
export function referenceRules(): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  for (const name of readdirSync(RULES_DIR).filter((file) => file.endsWith('.yaml')).sort()) {
    const file = join(RULES_DIR, name);
    const parsed = parseRuleFile(file, readFileSync(file, 'utf8'));
    if (parsed.rule === undefined) throw new Error(parsed.problems.map(formatProblem).join('\n'));
    rules.set(parsed.rule.name, parsed.rule);
  }
  return rules;
}

/** One reference rule by name. */
export function referenceRule(name: string): Rule {
  const rule = referenceRules().get(name);
  if (rule === undefined) throw new Error(`no reference rule ${name}`);
  return rule;
}

/** A rule from YAML text, for tests that vary one setting of a rule. */
export function ruleFromYaml(text: string, file = 'test-rule.yaml'): Rule {
  const parsed = parseRuleFile(file, text);
  if (parsed.rule === undefined) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  return parsed.rule;
}
