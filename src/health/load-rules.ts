import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrderlakeError } from '../errors.js';
import { formatProblem, type PipelineProblem } from '../normalize/index.js';
import { parseRuleFile } from './parse-rule-file.js';
import type { Rule } from './rule-schema.js';

/** Where the rules of a pipelines folder live: `<pipelines>/rules/*.yaml`. */
export function rulesDirectoryOf(pipelinesDir: string): string {
  return join(pipelinesDir, 'rules');
}

async function readDirectory(dir: string): Promise<{ rules: Rule[]; problems: PipelineProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml')).sort();
  } catch (err) {
    const message = `cannot read the rules directory: ${err instanceof Error ? err.message : String(err)}`;
    return { rules: [], problems: [{ file: dir, path: '', message }] };
  }
  const texts: Array<{ file: string; text: string }> = [];
  for (const name of names) {
    const file = join(dir, name);
    texts.push({ file, text: await readFile(file, 'utf8') });
  }
  return checkRuleTexts(texts);
}

/**
 * Every check start-up makes on a directory's rule files, on texts already read (live reload runs
 * exactly this on a changed file set).
 */
export function checkRuleTexts(files: ReadonlyArray<{ file: string; text: string }>): { rules: Rule[]; problems: PipelineProblem[] } {
  const rules: Rule[] = [];
  const problems: PipelineProblem[] = [];
  const byName = new Map<string, Rule>();
  for (const { file, text } of files) {
    const parsed = parseRuleFile(file, text);
    problems.push(...parsed.problems);
    const rule = parsed.rule;
    if (rule === undefined) continue;
    const same = byName.get(rule.name);
    if (same !== undefined) {
      problems.push({ file, path: 'name', message: `name ${rule.name} is already used by ${same.file}; expected unique rule names` });
      continue;
    }
    byName.set(rule.name, rule);
    rules.push(rule);
  }
  return { rules, problems };
}

/** Every problem of every rule file in `dir`, returned instead of thrown (what `orderlake lint` prints). */
export async function lintRules(dir: string): Promise<PipelineProblem[]> {
  return (await readDirectory(dir)).problems;
}

/**
 * The problems an `OL_ERR_RULE_INVALID` from {@link loadRules} carries, in the order its message
 * lists them; undefined for any other error.
 */
export function ruleProblemsOf(err: unknown): readonly PipelineProblem[] | undefined {
  if (!(err instanceof OrderlakeError) || err.code !== 'OL_ERR_RULE_INVALID') return undefined;
  const problems = err.context['problems'];
  return Array.isArray(problems) ? (problems as PipelineProblem[]) : undefined;
}

/**
 * Reads and validates every `*.yaml` rule in `dir` (sorted by file name; an empty folder is no
 * rules). Fails fast: any problem throws `OL_ERR_RULE_INVALID` whose message lists each problem as
 * `file:line:column: path: expectation`, as the pipelines do.
 */
export async function loadRules(dir: string): Promise<Rule[]> {
  const { rules, problems } = await readDirectory(dir);
  const first = problems[0];
  if (first !== undefined) {
    const list = problems.map(formatProblem).join('\n  ');
    throw new OrderlakeError('OL_ERR_RULE_INVALID', `invalid rule file${problems.length > 1 ? 's' : ''}:\n  ${list}`, {
      context: { file: first.file, problems },
    });
  }
  return rules;
}
