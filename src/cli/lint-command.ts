import { lintPipelines } from '../normalize/index.js';

/** `orderlake lint`: every problem of every pipeline file, one per line; exit 1 if any. */
export async function runLint(dir: string): Promise<number> {
  const problems = await lintPipelines(dir);
  if (problems.length === 0) {
    console.log(`pipelines in ${dir}: OK`);
    return 0;
  }
  for (const problem of problems) console.error(typeof problem === 'string' ? problem : JSON.stringify(problem));
  console.error(`${problems.length} problem(s) in ${dir}`);
  return 1;
}
