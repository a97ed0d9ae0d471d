import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { SchemaSetLike } from './avro-schema-paths.js';
import { checkPipeline } from './check-pipeline.js';
import { formatPath, type PipelineProblem } from './pipeline-problem.js';
import { pipelineFileSchema, type Pipeline } from './pipeline-schema.js';
import { issueText, type IssueText } from './zod-issue-text.js';

/** The outcome of reading one pipeline file: the pipeline when it is valid, and every problem found. */
export interface ParsedPipelineFile {
  readonly pipeline: Pipeline | undefined;
  readonly problems: readonly PipelineProblem[];
}

function locate(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

/** The mapping key that starts at `offset`, for duplicate-key messages. */
function keyAt(text: string, offset: number): string {
  const rest = text.slice(offset);
  const end = rest.search(/:(\s|$)/);
  return (end < 0 ? rest.split('\n')[0] ?? '' : rest.slice(0, end)).trim().replace(/^["']|["']$/g, '');
}

/**
 * Parses and checks one pipeline file's text. Pure (the caller reads the file), so lint, startup
 * and tests share exactly the same checks. `file` is only used to label problems.
 */
export function parsePipelineFile(file: string, text: string, options: { schemas?: SchemaSetLike } = {}): ParsedPipelineFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error): PipelineProblem => {
      const pos = lines.linePos(error.pos[0]);
      const message =
        error.code === 'DUPLICATE_KEY'
          ? `key ${JSON.stringify(keyAt(text, error.pos[0]))} appears twice in one mapping; expected each key once (a canonical field is mapped exactly once)`
          : `YAML syntax error: ${error.message}`;
      return { file, path: '', line: pos.line, column: pos.col, message };
    });
    return { pipeline: undefined, problems };
  }

  const raw: unknown = doc.toJS();
  const toProblem = (issue: IssueText): PipelineProblem => ({
    file,
    path: formatPath(issue.path),
    ...locate(doc, lines, issue.path),
    message: issue.message,
  });

  const parsed = pipelineFileSchema.safeParse(raw);
  if (!parsed.success) {
    return { pipeline: undefined, problems: parsed.error.issues.flatMap((issue) => issueText(issue, raw)).map(toProblem) };
  }
  const problems = checkPipeline(parsed.data, options.schemas).map(toProblem);
  if (problems.length > 0) return { pipeline: undefined, problems };
  return { pipeline: { ...parsed.data, file }, problems: [] };
}
