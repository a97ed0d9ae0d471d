import { AvroSchemaIndex, findSchemaJson, type ResolvedAvroType, type SchemaSetLike } from './avro-schema-paths.js';
import { CANONICAL_FIELDS, ENVELOPE_OF_KIND, TYPES_FOR_KIND } from './canonical-fields.js';
import type { FieldMapping, FieldType, PipelineConfig } from './pipeline-schema.js';
import type { IssueText } from './zod-issue-text.js';

/** Avro types (after unwrapping null) each conversion can read. */
const AVRO_TYPES_FOR: Readonly<Record<FieldType, readonly string[]>> = {
  string: ['string', 'enum'],
  int: ['int'],
  long: ['int', 'long'],
  boolean: ['boolean'],
  decimal: ['bytes', 'fixed'],
  'zoned-timestamp': ['string'],
  'micro-timestamp': ['long'],
  'millis-timestamp': ['int', 'long'],
};

function checkMappingAgainstCanonical(config: PipelineConfig, problems: IssueText[]): void {
  const canonical = CANONICAL_FIELDS[config.emits];
  for (const name of Object.keys(canonical)) {
    if (config.fields[name] === undefined) {
      problems.push({ path: ['fields'], message: `missing mapping for canonical field "${name}" (every field of ${config.emits} must be mapped exactly once)` });
    }
  }
  for (const [name, mapping] of Object.entries(config.fields)) {
    const spec = canonical[name];
    if (spec === undefined) {
      problems.push({
        path: ['fields', name],
        message: `not a canonical field of ${config.emits}; expected one of: ${Object.keys(canonical).join(', ')}`,
      });
      continue;
    }
    const allowed = TYPES_FOR_KIND[spec.kind];
    if (!allowed.includes(mapping.type)) {
      problems.push({
        path: ['fields', name, 'type'],
        message: `canonical field ${name} holds a ${spec.kind}; expected ${allowed.join(' or ')}, got "${mapping.type}"`,
      });
    }
    if (mapping.type === 'decimal' && mapping.scale === undefined) {
      problems.push({ path: ['fields', name, 'scale'], message: 'is required for type decimal: expected the number of fraction digits' });
    }
    if (mapping.type !== 'decimal' && mapping.scale !== undefined) {
      problems.push({ path: ['fields', name, 'scale'], message: `only applies to type decimal; expected no scale for type ${mapping.type}` });
    }
    if (mapping.nullable && !spec.nullable) {
      problems.push({ path: ['fields', name, 'nullable'], message: `canonical field ${name} is never null; expected false` });
    }
    if (mapping.map !== undefined) {
      if (config.maps[mapping.map] === undefined) {
        const names = Object.keys(config.maps);
        problems.push({
          path: ['fields', name, 'map'],
          message: `expected the name of a table in maps${names.length > 0 ? ` (one of: ${names.join(', ')})` : ' (maps is empty)'}, got "${mapping.map}"`,
        });
      }
      if (mapping.type !== 'string') {
        problems.push({ path: ['fields', name, 'map'], message: `maps translate strings; expected type string, got "${mapping.type}"` });
      }
    }
  }
}

function checkStructure(config: PipelineConfig, problems: IssueText[]): void {
  const envelope = ENVELOPE_OF_KIND[config.emits];
  if (config.envelope !== envelope) {
    problems.push({ path: ['envelope'], message: `emits ${config.emits} reads ${envelope} records; expected "${envelope}", got "${config.envelope}"` });
  }
  if (config.codec.type === 'avro' && !config.writerSchemas.includes(config.codec.writerSchema)) {
    problems.push({ path: ['codec', 'writerSchema'], message: `expected one of writerSchemas (${config.writerSchemas.join(', ')}), got "${config.codec.writerSchema}"` });
  }
  const seen = new Set<string>();
  config.writerSchemas.forEach((name, i) => {
    if (seen.has(name)) problems.push({ path: ['writerSchemas', i], message: `"${name}" is listed twice; expected each writer schema once` });
    seen.add(name);
  });
}

function checkSchemaName(schemas: SchemaSetLike, name: string, path: PropertyKey[], problems: IssueText[]): string | undefined {
  const json = findSchemaJson(schemas, name);
  if (json === undefined) problems.push({ path, message: `expected the name of a schema in schemas/, got "${name}" (no ${name}.avsc)` });
  return json;
}

function checkFieldType(name: string, mapping: FieldMapping, found: ResolvedAvroType, problems: IssueText[]): void {
  const accepted = AVRO_TYPES_FOR[mapping.type];
  const isDecimal = found.logicalType === 'decimal';
  if (!accepted.includes(found.typeName) || (mapping.type === 'decimal') !== isDecimal) {
    const actual = found.logicalType === undefined ? found.typeName : `${found.typeName} (${found.logicalType})`;
    problems.push({ path: ['fields', name, 'type'], message: `the reader schema has ${actual} at "${mapping.from}"; "${mapping.type}" cannot read it` });
    return;
  }
  if (mapping.type === 'decimal' && mapping.scale !== undefined && found.scale !== mapping.scale) {
    problems.push({ path: ['fields', name, 'scale'], message: `the reader schema's decimal at "${mapping.from}" has scale ${String(found.scale)}; expected ${String(found.scale)}, got ${mapping.scale}` });
  }
}

function checkAgainstReader(config: PipelineConfig, schema: AvroSchemaIndex, problems: IssueText[]): void {
  config.ordering.forEach((path, i) => {
    if (schema.resolve(path.split('.')) === undefined) {
      problems.push({ path: ['ordering', i], message: `expected a field of reader schema ${config.readerSchema}, got "${path}" (no such field)` });
    }
  });

  let imageRoot: unknown = schema.root;
  let prefix = '';
  if (config.envelope === 'debezium') {
    const after = schema.resolve(['after']);
    if (after === undefined || after.typeName !== 'record') {
      problems.push({ path: ['envelope'], message: `reader schema ${config.readerSchema} has no "after" record; expected a Debezium envelope` });
      return;
    }
    imageRoot = after.node;
    prefix = 'after.';
  }

  const canonical = CANONICAL_FIELDS[config.emits];
  for (const [name, mapping] of Object.entries(config.fields)) {
    const found = schema.resolve(mapping.from.split('.'), imageRoot);
    if (found === undefined) {
      problems.push({ path: ['fields', name, 'from'], message: `expected a field of reader schema ${config.readerSchema}, got "${prefix}${mapping.from}" (no such field)` });
      continue;
    }
    checkFieldType(name, mapping, found, problems);
    if (found.nullable && !mapping.nullable && canonical[name]?.nullable === true) {
      problems.push({
        path: ['fields', name, 'nullable'],
        message: `the reader schema allows null at "${prefix}${mapping.from}" and canonical ${name} may be null; expected true (otherwise every null is a dead letter)`,
      });
    }
  }
}

/**
 * Everything zod cannot see: the mapping covers exactly the canonical fields of `emits`, types and
 * nullability agree with the canonical event, referenced maps exist, and — when a schema set is
 * given — schema names exist and every `from` and `ordering` path names a field of the reader
 * schema with a type the conversion can read.
 */
export function checkPipeline(config: PipelineConfig, schemas: SchemaSetLike | undefined): IssueText[] {
  const problems: IssueText[] = [];
  checkStructure(config, problems);
  checkMappingAgainstCanonical(config, problems);
  if (schemas === undefined) return problems;

  const readerJson = checkSchemaName(schemas, config.readerSchema, ['readerSchema'], problems);
  config.writerSchemas.forEach((name, i) => checkSchemaName(schemas, name, ['writerSchemas', i], problems));
  if (readerJson === undefined) return problems;
  let index: AvroSchemaIndex;
  try {
    index = new AvroSchemaIndex(readerJson);
  } catch (err) {
    problems.push({ path: ['readerSchema'], message: `schema ${config.readerSchema} is not valid JSON: ${err instanceof Error ? err.message : String(err)}` });
    return problems;
  }
  checkAgainstReader(config, index, problems);
  return problems;
}
