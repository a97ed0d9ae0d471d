import { stat } from 'node:fs/promises';
import { loadSchemas } from '../codecs/index.js';
import { lintRules, rulesDirectoryOf } from '../health/index.js';
import { formatProblem, loadPipelines, pipelineProblemsOf } from '../normalize/index.js';

export interface LintPaths {
  /** The pipelines folder to check. */
  pipelines: string;
  /** The schemas folder the pipelines are checked against (reader and writer schema names, `from`, `ordering`). */
  schemas: string;
}

/** Where lint writes: the verdict to `out`, problems to `err`, one line each. */
export interface LintOutput {
  out(line: string): void;
  err(line: string): void;
}

const consoleOutput: LintOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/**
 * `orderlake lint`: exactly the validation `orderlake start` runs (the codec's `loadSchemas`, then
 * `loadPipelines` against those schemas), so a file that lint passes is one start-up accepts; and
 * then the health rules in `<pipelines>/rules/`, as `loadRules` checks them.
 * Each problem is printed as start prints it, `file:line:col: path: expectation`; exit code 1 when
 * there is any. A schemas folder that cannot be loaded throws, and the CLI reports it as start does.
 */
export async function runLint(paths: LintPaths, output: LintOutput = consoleOutput): Promise<number> {
  const schemas = await loadSchemas(paths.schemas);
  let status = 0;
  try {
    const pipelines = await loadPipelines(paths.pipelines, { schemas });
    output.out(`${pipelines.length} pipeline file(s) in ${paths.pipelines}: OK (checked against the schemas in ${paths.schemas})`);
  } catch (err) {
    const problems = pipelineProblemsOf(err);
    if (problems === undefined) throw err;
    for (const problem of problems) output.err(formatProblem(problem));
    output.err(`${problems.length} problem(s) in ${paths.pipelines}: orderlake start refuses to run until they are fixed`);
    status = 1;
  }
  return Math.max(status, await lintRuleFolder(rulesDirectoryOf(paths.pipelines), output));
}

/**
 * The health rules of the pipelines folder (`<pipelines>/rules/*.yaml`), checked exactly as the
 * rule loader checks them and printed in the same `file:line:col: path: expectation` form. A
 * folder without `rules/` has no rules to check. Prints nothing when they are valid (the verdict
 * line stays the pipelines'); returns the exit code.
 */
async function lintRuleFolder(dir: string, output: LintOutput): Promise<number> {
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) return 0;
  const problems = await lintRules(dir);
  if (problems.length === 0) return 0;
  for (const problem of problems) output.err(formatProblem(problem));
  output.err(`${problems.length} problem(s) in ${dir}: the health rules cannot be loaded until they are fixed`);
  return 1;
}
