import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { PipelineProblem } from '../normalize/index.js';

/** Where a YAML node starts: 1-based line and column, when the node exists in the file. */
export interface YamlPosition {
  readonly line?: number;
  readonly column?: number;
}

/** A parsed YAML file: its plain value, and the position of any path in it. */
export interface LocatedYaml {
  readonly value: unknown;
  /** The position of the deepest existing node on `path` (a missing key is reported at its parent). */
  at(path: readonly PropertyKey[]): YamlPosition;
}

function positionOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): YamlPosition {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return {};
}

/**
 * Parses one YAML file for validation: either its value with positions, or a located problem per
 * syntax error (a key repeated in one mapping included, which YAML would otherwise let the last
 * occurrence win silently).
 */
export function readLocatedYaml(file: string, text: string): { yaml?: LocatedYaml; problems: PipelineProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        const message =
          error.code === 'DUPLICATE_KEY'
            ? 'a key appears twice in one mapping; expected each key once'
            : `YAML syntax error: ${error.message.split('\n')[0] ?? error.message}`;
        return { file, path: '', line, column: col, message };
      }),
    };
  }
  return { yaml: { value: doc.toJS() as unknown, at: (path) => positionOf(doc, lines, path) }, problems: [] };
}
