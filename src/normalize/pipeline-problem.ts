/**
 * One thing wrong with a pipeline file, located precisely enough to fix without guessing: the file,
 * the path inside it (`fields.total_amount.type`), the line when known, and what was expected.
 */
export interface PipelineProblem {
  readonly file: string;
  /** Dotted path inside the file; empty for the document as a whole. */
  readonly path: string;
  /** 1-based line and column of the offending YAML node, when it exists in the file. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** `file:line:column: path: message`, the form compilers and linters print. */
export function formatProblem(problem: PipelineProblem): string {
  const at = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  return problem.path === '' ? `${at}: ${problem.message}` : `${at}: ${problem.path}: ${problem.message}`;
}

/** Renders a path as `fields.total_amount.type` / `key.fields[0].type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
