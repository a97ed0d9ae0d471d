import { loadSchemas } from '../codecs/index.js';
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
 * `loadPipelines` against those schemas), so a file that lint passes is one start-up accepts.
 * Each problem is printed as start prints it, `file:line:col: path: expectation`; exit code 1 when
 * there is any. A schemas folder that cannot be loaded throws, and the CLI reports it as start does.
 */
export async function runLint(paths: LintPaths, output: LintOutput = consoleOutput): Promise<number> {
  const schemas = await loadSchemas(paths.schemas);
  try {
    const pipelines = await loadPipelines(paths.pipelines, { schemas });
    output.out(`${pipelines.length} pipeline file(s) in ${paths.pipelines}: OK (checked against the schemas in ${paths.schemas})`);
    return 0;
  } catch (err) {
    const problems = pipelineProblemsOf(err);
    if (problems === undefined) throw err;
    for (const problem of problems) output.err(formatProblem(problem));
    output.err(`${problems.length} problem(s) in ${paths.pipelines}: orderlake start refuses to run until they are fixed`);
    return 1;
  }
}
