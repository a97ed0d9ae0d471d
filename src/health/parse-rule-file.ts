import { formatPath } from '../normalize/pipeline-problem.js';
import type { PipelineProblem } from '../normalize/index.js';
import type { IssueText } from '../normalize/zod-issue-text.js';
import { checkRule } from './check-rule.js';
import { ruleIssueText } from './rule-issue-text.js';
import { ruleFileSchema, type Rule } from './rule-schema.js';
import { readLocatedYaml } from './rule-yaml.js';

/** The outcome of reading one rule file: the rule when it is valid, and every problem found. */
export interface ParsedRuleFile {
  readonly rule: Rule | undefined;
  readonly problems: readonly PipelineProblem[];
}

/**
 * Parses and checks one rule file's text. Pure (the caller reads the file), so lint, start-up and
 * tests share exactly the same checks; problems have the pipelines' form (`file:line:col: path:
 * expectation` once formatted). `file` only labels problems and the rule.
 */
export function parseRuleFile(file: string, text: string): ParsedRuleFile {
  const { yaml, problems: syntax } = readLocatedYaml(file, text);
  if (yaml === undefined) return { rule: undefined, problems: syntax };
  const toProblem = (issue: IssueText): PipelineProblem => ({ file, path: formatPath(issue.path), ...yaml.at(issue.path), message: issue.message });

  const parsed = ruleFileSchema.safeParse(yaml.value);
  if (!parsed.success) {
    return { rule: undefined, problems: parsed.error.issues.flatMap((issue) => ruleIssueText(issue, yaml.value)).map(toProblem) };
  }
  const problems = checkRule(parsed.data).map(toProblem);
  if (problems.length > 0) return { rule: undefined, problems };
  return { rule: { ...parsed.data, file }, problems: [] };
}
