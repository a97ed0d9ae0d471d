import { OrderlakeError } from '../errors.js';
import { parseAvroType } from './avro-type.js';
import type { SchemaRegistry } from './schema-registry.js';
import type { SchemaSet } from './schema-set.js';

function compact(schemaJson: string, subject: string): string {
  try {
    const parsed: unknown = JSON.parse(schemaJson);
    parseAvroType(parsed);
    return JSON.stringify(parsed);
  } catch (err) {
    throw new OrderlakeError('OL_ERR_REGISTRY_REJECTED', `schema for subject ${subject} is not a valid Avro schema: ${(err as Error).message}`, {
      cause: err,
      context: { subject },
    });
  }
}

/**
 * The embedded-mode registry: no server, ids derived from `schemas/` so that every embedded
 * process (and every test run) numbers the same schemas the same way — schema names sorted by
 * code point get ids 1..n. Registering a schema that is not among them (a derived key schema, a
 * test's own schema) gives it the next id, in registration order.
 */
export function createLocalSchemaRegistry(schemas: SchemaSet): SchemaRegistry {
  const byId = new Map<number, string>();
  const idByJson = new Map<string, number>();
  let nextId = 1;
  const add = (json: string): number => {
    const existing = idByJson.get(json);
    if (existing !== undefined) return existing;
    const id = nextId++;
    byId.set(id, json);
    idByJson.set(json, id);
    return id;
  };
  for (const name of schemas.names()) add(schemas.get(name).schemaJson);

  return {
    async getSchemaById(id) {
      const json = byId.get(id);
      if (json === undefined) {
        throw new OrderlakeError('OL_ERR_CODEC_UNKNOWN_SCHEMA_ID', `schema id ${id} is not registered`, { context: { schemaId: id } });
      }
      return json;
    },
    async register(subject, schemaJson) {
      return add(compact(schemaJson, subject));
    },
  };
}
