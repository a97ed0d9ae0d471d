import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Type } from 'avsc';
import { OrderlakeError } from '../errors.js';
import { parseAvroType } from './avro-type.js';

/** One parsed schema of the project's `schemas/` folder. */
export interface AvroSchema {
  /** The file name without `.avsc`, as replay lines and pipelines name it (`wms.fulfillment.v2`). */
  readonly name: string;
  readonly type: Type;
  /**
   * The schema file's JSON, compacted: what is registered with a registry and compared for
   * idempotent registration. Attributes avsc ignores (`connect.name`, docs) are kept, as a
   * Debezium producer would register them.
   */
  readonly schemaJson: string;
  /** Where it was read from, for error messages; absent for schemas built in memory. */
  readonly file?: string;
}

/** The schemas orderlake knows, by name. */
export interface SchemaSet {
  /** Throws `OL_ERR_SCHEMA_INVALID` for a name that is not in the set. */
  get(name: string): AvroSchema;
  has(name: string): boolean;
  /** Sorted by code point: the order that gives embedded-mode schema ids. */
  names(): string[];
}

/** A schema source: its name, its JSON text and optionally the file it came from. */
export interface SchemaSource {
  name: string;
  json: string;
  file?: string;
}

function parseSource(source: SchemaSource): AvroSchema {
  const where = source.file ?? source.name;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source.json);
  } catch (err) {
    throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `${where}: not valid JSON: ${(err as Error).message}`, {
      cause: err,
      context: { file: where },
    });
  }
  let type: Type;
  try {
    type = parseAvroType(parsed);
  } catch (err) {
    throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `${where}: not a valid Avro schema: ${(err as Error).message}`, {
      cause: err,
      context: { file: where },
    });
  }
  return { name: source.name, type, schemaJson: JSON.stringify(parsed), ...(source.file ? { file: source.file } : {}) };
}

/** Builds a SchemaSet from schema texts already in memory (tests, the simulator). */
export function createSchemaSet(sources: readonly SchemaSource[]): SchemaSet {
  const byName = new Map<string, AvroSchema>();
  for (const source of sources) {
    if (byName.has(source.name)) {
      throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `${source.file ?? source.name}: schema name ${source.name} appears twice`, {
        context: { file: source.file ?? source.name },
      });
    }
    byName.set(source.name, parseSource(source));
  }
  const sortedNames = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    get(name) {
      const schema = byName.get(name);
      if (!schema) {
        throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `no schema named ${JSON.stringify(name)} (known: ${sortedNames.join(', ')})`, {
          context: { schema: name },
        });
      }
      return schema;
    },
    has: (name) => byName.has(name),
    names: () => [...sortedNames],
  };
}

/**
 * Reads and parses every `*.avsc` file of `dir` (not recursive). Any file that is not a valid
 * Avro schema fails the whole load with `OL_ERR_SCHEMA_INVALID` naming the file: a pipeline must
 * not start with half its schemas.
 */
export async function loadSchemas(dir: string): Promise<SchemaSet> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `cannot read schema folder ${dir}: ${(err as Error).message}`, {
      cause: err,
      context: { file: dir },
    });
  }
  const files = entries.filter((entry) => entry.endsWith('.avsc')).sort();
  if (files.length === 0) {
    throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `no *.avsc files in ${dir}`, { context: { file: dir } });
  }
  const sources = await Promise.all(
    files.map(async (entry): Promise<SchemaSource> => {
      const file = path.join(dir, entry);
      try {
        return { name: entry.slice(0, -'.avsc'.length), json: await readFile(file, 'utf8'), file };
      } catch (err) {
        throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `cannot read ${file}: ${(err as Error).message}`, {
          cause: err,
          context: { file },
        });
      }
    }),
  );
  return createSchemaSet(sources);
}
