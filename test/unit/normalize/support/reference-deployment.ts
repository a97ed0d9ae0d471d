import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createNormalizer,
  formatProblem,
  loadPipelines,
  parsePipelineFile,
  type Normalizer,
  type SchemaSetLike,
  type SourcePosition,
} from '../../../../src/normalize/index.js';

/** Test support: the repository's reference pipelines, schemas and contract replay files. */

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const PIPELINES_DIR = `${ROOT}pipelines`;
export const SCHEMAS_DIR = `${ROOT}schemas`;
export const CONTRACT_DIR = `${ROOT}test/fixtures/contract`;

/** The schema files as plain JSON, the minimum `SchemaSetLike` (no Avro parsing involved). */
export function referenceSchemas(): SchemaSetLike {
  return {
    get(name) {
      try {
        return { schemaJson: readFileSync(`${SCHEMAS_DIR}/${name}.avsc`, 'utf8') };
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * A normalizer of exactly one reference pipeline file (for the example tests beside it); throws
 * with the file's problems when it does not lint clean.
 */
export function pipelineNormalizer(file: string): Normalizer {
  const path = `${PIPELINES_DIR}/${file}`;
  const parsed = parsePipelineFile(path, readFileSync(path, 'utf8'), { schemas: referenceSchemas() });
  if (parsed.pipeline === undefined) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  return createNormalizer([parsed.pipeline]);
}

export async function referenceNormalizer(): Promise<Normalizer> {
  return createNormalizer(await loadPipelines(PIPELINES_DIR, { schemas: referenceSchemas() }));
}

export interface ReplayLine {
  topic: string;
  key: unknown;
  schema: string;
  value: Record<string, unknown> | null;
  /** 1-based line number in the file. */
  line: number;
  /** Position of the line within its topic, as a replay would number offsets. */
  offset: number;
}

export function readReplayFile(name: string): ReplayLine[] {
  const perTopic = new Map<string, number>();
  return readFileSync(`${CONTRACT_DIR}/${name}`, 'utf8')
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => text.trim() !== '')
    .map(({ text, line }) => {
      const parsed = JSON.parse(text) as Omit<ReplayLine, 'line' | 'offset'>;
      const offset = perTopic.get(parsed.topic) ?? 0;
      perTopic.set(parsed.topic, offset + 1);
      return { ...parsed, line, offset };
    });
}

export function positionOf(line: ReplayLine): SourcePosition {
  return { topic: line.topic, partition: 0, offset: String(line.offset), timestamp: 0, line: line.line };
}

/** The first line of a contract example that satisfies `pick`; fails the test when none does. */
export function contractLine(pick: (line: ReplayLine) => boolean, file = 'six-orders-in-order.jsonl'): ReplayLine {
  const found = readReplayFile(file).find(pick);
  if (found === undefined) throw new Error(`no such line in ${file}`);
  return found;
}

/** A deep copy of a replay value, to corrupt one field in a test without touching the fixture. */
export function copyValue(line: ReplayLine): Record<string, unknown> {
  return structuredClone(line.value) as Record<string, unknown>;
}

/** Runs `fn` and returns what it threw (undefined when it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
