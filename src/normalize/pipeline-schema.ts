import { z } from 'zod';

/**
 * The schema of a pipeline file (`pipelines/<name>.yaml`). A pipeline tells orderlake how to read
 * one source topic and turn each record into one canonical event, so that adapting to another
 * CRM/WMS/TMS is a YAML change, never a code change. Checked once at startup by `loadPipelines`
 * (and by `orderlake lint`); unknown keys are refused so that a typo fails fast instead of being
 * silently ignored.
 */

/** How the conversion of one mapped value is done. */
export const FIELD_TYPES = [
  'string',
  'int',
  'long',
  'boolean',
  'decimal',
  'zoned-timestamp',
  'micro-timestamp',
  'millis-timestamp',
] as const;
/** One of FIELD_TYPES. */
export type FieldType = (typeof FIELD_TYPES)[number];

/** The canonical event kinds a pipeline can emit (see `canonical-event.ts`). */
export const EMIT_KINDS = ['crm_order', 'crm_line', 'crm_case', 'wms', 'tms'] as const;
/** One of EMIT_KINDS. */
export type EmitKind = (typeof EMIT_KINDS)[number];

const schemaName = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_.-]+$/, 'expected a schema file name without ".avsc" (letters, digits, "_", "-", ".")');

/** A dotted path: segments of letters, digits and "_" separated by ".". */
const dottedPath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'expected a dotted path such as "after.row_version"');

/** How a topic's value bytes are framed and which writer schema they use. */
export const codecSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({
        type: z
          .literal('confluent-avro')
          .describe('Confluent wire format: byte 0, a 4-byte schema id, Avro binary; writer schema looked up in the registry by id.'),
      })
      .describe('Values framed in the Confluent wire format (what Debezium and Confluent serializers produce).'),
    z
      .strictObject({
        type: z.literal('avro').describe('Bare Avro binary with one fixed writer schema, no framing.'),
        writerSchema: schemaName.describe('Name of the writer schema in schemas/ (file name without ".avsc").'),
      })
      .describe('Unframed Avro: every value was written with the one schema named here.'),
  ])
  .describe('How the Kafka value bytes are decoded. The decoded record is resolved against `readerSchema`.');

/** The Kafka key's shape, so replay and the simulator can encode keys as the source does. */
export const keySchema = z
  .discriminatedUnion('format', [
    z.strictObject({
      format: z.literal('string').describe('The key is UTF-8 text, e.g. a fulfillment id or tracking number.'),
    }),
    z.strictObject({
      format: z.literal('avro-record').describe('The key is a Confluent-framed Avro record (Debezium primary-key record).'),
      fields: z
        .array(
          z.strictObject({
            name: z.string().min(1).describe('Key column name.'),
            type: z.enum(['string', 'int']).describe('Avro type of the key column.'),
          }),
        )
        .min(1)
        .describe('The key record fields, in order.'),
    }),
  ])
  .describe('Shape of the Kafka key. Informational for the merge (which never needs keys); used by replay and the simulator to encode keys.');

/** The mapping of one canonical field: source path, conversion, nullability, value table. */
export const fieldMappingSchema = z
  .strictObject({
    from: dottedPath.describe(
      'Dotted path of the source value: relative to the row image (`after`, or `before` for a delete) for a Debezium envelope, relative to the record for a plain one.',
    ),
    type: z.enum(FIELD_TYPES).describe(
      'Conversion: string, int, long, boolean as is; decimal = a canonical decimal string at `scale`; zoned-timestamp = ISO-8601 with Z or ±hh:mm offset, truncated to ms; micro-timestamp = µs since epoch, floored to ms; millis-timestamp = ms since epoch.',
    ),
    scale: z
      .number()
      .int()
      .min(0)
      .max(38)
      .optional()
      .describe('Fraction digits of a decimal (required for, and only allowed with, type decimal).'),
    nullable: z
      .boolean()
      .default(false)
      .describe('Default false. When true a null or absent source value yields null; when false it is a dead letter (OL_ERR_NORMALIZE_MAPPING).'),
    map: z
      .string()
      .min(1)
      .optional()
      .describe('Name of a table in `maps` that translates the (string) value; a value not in the table and no default is a dead letter.'),
  })
  .describe('Where one canonical field comes from and how it is converted.');

/** A value table, so that renaming a source's status codes is a YAML edit. */
export const valueMapSchema = z
  .strictObject({
    values: z
      .record(z.string(), z.string())
      .describe('Source value → canonical value. Keys are compared as exact strings.'),
    default: z
      .string()
      .optional()
      .describe('Canonical value for a source value missing from `values`. Without it such a value is a dead letter (OL_ERR_NORMALIZE_MAPPING).'),
  })
  .describe('A named value → value table for statuses, enums and codes.');

/** The whole pipeline file; `loadPipelines` and `orderlake lint` check files against it. */
export const pipelineFileSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a kebab-case name such as "crm-orders"')
      .describe('Pipeline name, unique; used in logs, metrics and dead letters.'),
    description: z.string().optional().describe('Free text for humans.'),
    topic: z.string().min(1).describe('The Kafka topic this pipeline reads; one pipeline per topic.'),
    codec: codecSchema,
    readerSchema: schemaName.describe(
      'Name of the schema in schemas/ that decoded values are resolved to (the newest version); `from` and `ordering` paths refer to it.',
    ),
    writerSchemas: z
      .array(schemaName)
      .min(1)
      .describe('Names of the schema files producers may write with (e.g. WMS v1 and v2); replay and the simulator validate against them.'),
    key: keySchema,
    tombstones: z
      .enum(['allow', 'reject'])
      .describe('allow: a null value (Debezium follows a delete with one) is skipped, not counted; reject: it is a dead letter (OL_ERR_NORMALIZE_TOMBSTONE).'),
    envelope: z
      .enum(['debezium', 'plain'])
      .describe('debezium: op/before/after/source change events (CRM kinds); plain: the record is the event (WMS, TMS).'),
    ordering: z
      .array(dottedPath)
      .min(1)
      .describe(
        'The source\'s ordering column(s), most significant first, as paths in the reader schema (e.g. [after.row_version, source.lsn]). Informational: the merge implements the order of each canonical kind; this documents and checks it.',
      ),
    emits: z.enum(EMIT_KINDS).describe('The canonical event kind this pipeline produces; decides which canonical fields must be mapped.'),
    fields: z
      .record(z.string(), fieldMappingSchema)
      .describe('Canonical field name → mapping. Every field of the `emits` kind must be mapped exactly once, and no other.'),
    maps: z
      .record(z.string(), valueMapSchema)
      .default({})
      .describe('Default {}. Named value tables referenced by `fields.<name>.map`.'),
  })
  .describe('One pipeline file: how one source topic becomes canonical events.');

/** A pipeline file after validation (defaults applied). */
export type PipelineConfig = z.output<typeof pipelineFileSchema>;
/** One entry of `fields`, defaults applied. */
export type FieldMapping = z.output<typeof fieldMappingSchema>;
/** One entry of `maps`. */
export type ValueMap = z.output<typeof valueMapSchema>;

/** A validated pipeline, with the file it was read from (for error messages and lint). */
export interface Pipeline extends PipelineConfig {
  /** Path of the YAML file this pipeline was loaded from. */
  readonly file: string;
}
