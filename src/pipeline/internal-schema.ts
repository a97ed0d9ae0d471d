import type { Schema, Type } from 'avsc';
import { parseAvroType } from '../codecs/index.js';
import type { LinkInput } from '../golden/index.js';
import { CANONICAL_FIELDS, type CanonicalEvent, type CanonicalFieldSpec, type CrmOp, type SourcePosition } from '../normalize/index.js';

/**
 * The Avro schemas of the internal topics (`<prefix>events`, `<prefix>links`), derived in code
 * rather than kept as `.avsc` files: the canonical fields come from `CANONICAL_FIELDS`, the tables
 * normalize already checks pipelines against and that are typed against the canonical event types.
 * A new canonical field is therefore added in one place (the type, which the compiler then makes
 * the tables follow) and the internal topics carry it without a schema file to keep in step.
 *
 * The descriptors below are the shape of each message: field names in the order the JSON path
 * produced them (so a decoded object has the same key order), what goes on the wire, and what is
 * restored on decode without travelling (`v`, and `kind`, `source`, `type`, which the union branch
 * implies).
 */

/** One field of a record shape. Scalars reuse normalize's `CanonicalFieldSpec`. */
export type InternalField =
  | (CanonicalFieldSpec & { readonly optional?: true })
  | { readonly kind: 'int'; readonly nullable: boolean; readonly optional?: true }
  | { readonly kind: 'enum'; readonly nullable: false; readonly name: string; readonly symbols: readonly string[] }
  | { readonly kind: 'record'; readonly nullable: boolean; readonly optional?: true; readonly shape: RecordShape }
  | { readonly kind: 'union'; readonly nullable: false; readonly tag: string; readonly branches: Readonly<Record<string, RecordShape>> };

/**
 * A record: its Avro name, the values fixed for it (not on the wire; put first on decode, in this
 * order) and its fields. An `optional` field may be absent: it travels as null and is left out
 * again on decode, as JSON left out an `undefined`.
 */
export interface RecordShape {
  readonly name: string;
  readonly constants: Readonly<Record<string, string | number>>;
  readonly fields: Readonly<Record<string, InternalField>>;
}

/**
 * The descriptor of every field of `T` but `Fixed`, with nullability checked against the type, so
 * a field added to (or made nullable in) an envelope type fails to compile until described here.
 */
type FieldsOf<T, Fixed extends keyof T = never> = {
  readonly [K in Exclude<keyof T, Fixed>]-?: undefined extends T[K]
    ? InternalField & { readonly optional: true }
    : null extends T[K]
      ? InternalField & { readonly nullable: true }
      : InternalField & { readonly nullable: false };
};

const str = { kind: 'string', nullable: false } as const;
const int = { kind: 'int', nullable: false } as const;
const integer = { kind: 'integer', nullable: false } as const;
const integerN = { kind: 'integer', nullable: true } as const;
const ts = { kind: 'timestamp', nullable: false } as const;

/** Debezium ops as an Avro enum (one byte); `satisfies` makes the list follow `CrmOp`. */
const CRM_OP_SYMBOLS = Object.keys({ c: 0, u: 0, d: 0, r: 0 } satisfies Record<CrmOp, 0>);
const op = { kind: 'enum', nullable: false, name: 'CrmOp', symbols: CRM_OP_SYMBOLS } as const;

type Kind = CanonicalEvent['kind'];
type EventOf<K extends Kind> = Extract<CanonicalEvent, { kind: K }>;

function image(name: string, kind: 'crm_order' | 'crm_line' | 'crm_case') {
  return { kind: 'record', nullable: true, shape: { name, constants: {}, fields: CANONICAL_FIELDS[kind] } } as const;
}

/** What a canonical event of each kind carries besides `kind` and `source`. */
const EVENT_FIELDS: { readonly [K in Kind]: FieldsOf<EventOf<K>, 'kind' | 'source'> } = {
  crm_order: { op, lsn: integer, ts_ms: ts, order_id: str, row_version: integerN, image: image('OrderImage', 'crm_order') },
  crm_line: { op, lsn: integer, ts_ms: ts, order_id: str, line_no: integer, image: image('LineImage', 'crm_line') },
  crm_case: { op, lsn: integer, ts_ms: ts, order_id: str, case_id: str, image: image('CaseImage', 'crm_case') },
  // Already checked field by field against WmsEvent / TmsEvent where normalize defines them.
  wms: CANONICAL_FIELDS.wms as FieldsOf<EventOf<'wms'>, 'kind' | 'source'>,
  tms: CANONICAL_FIELDS.tms as FieldsOf<EventOf<'tms'>, 'kind' | 'source'>,
};

const EVENT_SOURCE: { readonly [K in Kind]: EventOf<K>['source'] } = {
  crm_order: 'crm',
  crm_line: 'crm',
  crm_case: 'crm',
  wms: 'wms',
  tms: 'tms',
};

const EVENT_RECORD_NAMES: { readonly [K in Kind]: string } = {
  crm_order: 'CrmOrderEvent',
  crm_line: 'CrmLineEvent',
  crm_case: 'CrmCaseEvent',
  wms: 'WmsEvent',
  tms: 'TmsEvent',
};

function eventShape<K extends Kind>(kind: K): RecordShape {
  return { name: EVENT_RECORD_NAMES[kind], constants: { kind, source: EVENT_SOURCE[kind] }, fields: EVENT_FIELDS[kind] };
}

const EVENT_BRANCHES: { readonly [K in Kind]: RecordShape } = {
  crm_order: eventShape('crm_order'),
  crm_line: eventShape('crm_line'),
  crm_case: eventShape('crm_case'),
  wms: eventShape('wms'),
  tms: eventShape('tms'),
};

const POSITION_FIELDS: FieldsOf<SourcePosition> = {
  topic: str,
  partition: int,
  offset: str,
  timestamp: ts,
  line: { kind: 'int', nullable: true, optional: true },
};
const POSITION: RecordShape = { name: 'SourcePosition', constants: {}, fields: POSITION_FIELDS };

type LinkType = LinkInput['type'];
type LinkOf<T extends LinkType> = Extract<LinkInput, { type: T }>;

const LINK_FIELDS: { readonly [T in LinkType]: FieldsOf<LinkOf<T>, 'type'> } = {
  fact: { key: str, orderId: str },
  tms: { key: str, event: { kind: 'record', nullable: false, shape: EVENT_BRANCHES.tms }, receivedAt: ts },
};

const LINK_BRANCHES: { readonly [T in LinkType]: RecordShape } = {
  fact: { name: 'LinkFact', constants: { type: 'fact' }, fields: LINK_FIELDS.fact },
  tms: { name: 'LinkTms', constants: { type: 'tms' }, fields: LINK_FIELDS.tms },
};

/** `{ v: 1, orderId, event, position }`: `v` stays 1, the logical message version both formats share. */
export const EVENT_MESSAGE_SHAPE: RecordShape = {
  name: 'EventMessage',
  constants: { v: 1 },
  fields: {
    orderId: str,
    event: { kind: 'union', nullable: false, tag: 'kind', branches: EVENT_BRANCHES },
    position: { kind: 'record', nullable: false, shape: POSITION },
  },
};

/** `{ v: 1, input, position? }`: facts the linker passes on have no position. */
export const LINK_MESSAGE_SHAPE: RecordShape = {
  name: 'LinkMessage',
  constants: { v: 1 },
  fields: {
    input: { kind: 'union', nullable: false, tag: 'type', branches: LINK_BRANCHES },
    position: { kind: 'record', nullable: true, optional: true, shape: POSITION },
  },
};

const NAMESPACE = 'orderlake.internal';

function isOptional(field: InternalField): boolean {
  return 'optional' in field && field.optional === true;
}

function mayBeNull(field: InternalField): boolean {
  return field.nullable || isOptional(field);
}

function avroTypeOf(field: InternalField, defined: Set<string>): unknown {
  let type: unknown;
  switch (field.kind) {
    case 'string':
    case 'decimal': // canonical decimal strings travel as they are: the scale differs per field
      type = 'string';
      break;
    case 'integer':
      type = 'long';
      break;
    case 'int':
      type = 'int';
      break;
    case 'timestamp':
      type = { type: 'long', logicalType: 'timestamp-millis' };
      break;
    case 'boolean':
      type = 'boolean';
      break;
    case 'enum':
      if (defined.has(field.name)) return field.name;
      defined.add(field.name);
      return { type: 'enum', name: field.name, symbols: [...field.symbols] };
    case 'record':
      type = avroRecordOf(field.shape, defined);
      break;
    case 'union':
      return Object.values(field.branches).map((shape) => avroRecordOf(shape, defined));
  }
  return mayBeNull(field) ? ['null', type] : type;
}

function avroRecordOf(shape: RecordShape, defined: Set<string>): unknown {
  if (defined.has(shape.name)) return shape.name;
  defined.add(shape.name);
  return {
    type: 'record',
    name: shape.name,
    fields: Object.entries(shape.fields).map(([name, field]) => ({
      name,
      type: avroTypeOf(field, defined),
      // avsc writes a field's default for `undefined`: an absent optional travels as null. (A later
      // layout's reader could also resolve this one, should readers of old layouts ever be kept.)
      ...(mayBeNull(field) ? { default: null } : {}),
    })),
  };
}

/** The Avro schema (JSON) of a message shape. */
export function avroSchemaOf(shape: RecordShape): Schema {
  const record = avroRecordOf(shape, new Set()) as Record<string, unknown>;
  return { ...record, namespace: NAMESPACE } as Schema;
}

type AvroValue = Record<string, unknown>;

/**
 * A function giving avsc what it writes for a value of `shape`, or null when the value can be
 * written as it is (avsc reads record fields by name and ignores others, like `kind`). Only
 * unions need work: avsc wants a union of records wrapped as `{ <branch name>: value }`.
 */
function writerOf(shape: RecordShape, type: Type): ((value: AvroValue) => AvroValue) | null {
  const steps: Array<[string, (value: AvroValue) => unknown]> = [];
  for (const [name, field] of Object.entries(shape.fields)) {
    const fieldType = recordField(type, name);
    if (field.kind === 'union') {
      const branchTypes = (fieldType as unknown as { types: Type[] }).types;
      const branchNames = new Map<unknown, string>();
      Object.entries(field.branches).forEach(([tagValue, branch], i) => {
        const nested = writerOf(branch, branchTypes[i]!);
        if (nested !== null) throw new Error(`internal schema: unions inside union branch ${branch.name} are not supported`);
        branchNames.set(tagValue, branchTypes[i]!.branchName!);
      });
      const tag = field.tag;
      steps.push([
        name,
        (value) => {
          const branch = branchNames.get(value[tag]);
          if (branch === undefined) throw new Error(`no ${name} branch for ${tag} ${JSON.stringify(value[tag])}`);
          return { [branch]: value };
        },
      ]);
    } else if (field.kind === 'record') {
      const nested = writerOf(field.shape, mayBeNull(field) ? nonNull(fieldType) : fieldType);
      if (nested !== null) steps.push([name, (value) => (value === null || value === undefined ? value : nested(value as AvroValue))]);
    }
  }
  if (steps.length === 0) return null;
  return (value) => {
    const out: AvroValue = { ...value };
    for (const [name, step] of steps) out[name] = step(value[name] as AvroValue);
    return out;
  };
}

/** Avro's rule for names, checked again here because names are spliced into generated code. */
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A function turning what avsc decoded for `shape` (record instances, wrapped unions, nulls for
 * absent optionals) into the plain object the JSON path gave: constants first, fields in order.
 * Generated as one object literal per shape (as avsc generates its own readers): objects then get
 * their final hidden class at creation, several times faster than copying keys in a loop.
 */
function readerOf(shape: RecordShape, type: Type): (record: AvroValue) => AvroValue {
  const helpers: Array<(value: AvroValue) => unknown> = [];
  const literal: string[] = Object.entries(shape.constants).map(([name, value]) => `${checkedName(name)}: ${JSON.stringify(value)}`);
  const after: string[] = [];
  for (const [name, field] of Object.entries(shape.fields)) {
    const fieldType = recordField(type, checkedName(name));
    let value = `r.${name}`;
    if (field.kind === 'union') {
      helpers.push(unionReaderOf(field.branches, fieldType));
      value = `h${helpers.length - 1}(${value})`;
    } else if (field.kind === 'record') {
      helpers.push(readerOf(field.shape, mayBeNull(field) ? nonNull(fieldType) : fieldType));
      value = mayBeNull(field) ? `(r.${name} === null ? null : h${helpers.length - 1}(r.${name}))` : `h${helpers.length - 1}(${value})`;
    }
    // An optional field is left out when null, so it (and every field after it) is added in statements.
    if (isOptional(field)) after.push(`if (r.${name} !== null) o.${name} = ${value};`);
    else if (after.length > 0) after.push(`o.${name} = ${value};`);
    else literal.push(`${name}: ${value}`);
  }
  const body = `return function read${checkedName(shape.name)}(r) {\n  const o = { ${literal.join(', ')} };\n  ${after.join('\n  ')}\n  return o;\n};`;
  const params = helpers.map((_, i) => `h${i}`);
  return new Function(...params, body)(...helpers) as (record: AvroValue) => AvroValue;
}

/** Reads a wrapped union of records: the branch's record constructor picks the branch's reader. */
function unionReaderOf(branches: Readonly<Record<string, RecordShape>>, type: Type): (wrapped: AvroValue) => AvroValue {
  const branchTypes = (type as unknown as { types: Type[] }).types;
  const byConstructor = new Map<unknown, (value: AvroValue) => AvroValue>();
  Object.values(branches).forEach((branch, i) => {
    const branchType = branchTypes[i]! as unknown as { recordConstructor: unknown };
    byConstructor.set(branchType.recordConstructor, readerOf(branch, branchTypes[i]!));
  });
  return (wrapped) => {
    const value = (wrapped as unknown as { unwrap(): AvroValue }).unwrap();
    return byConstructor.get(value.constructor)!(value);
  };
}

function checkedName(name: string): string {
  if (!AVRO_NAME.test(name)) throw new Error(`internal schema: ${JSON.stringify(name)} is not an Avro name`);
  return name;
}

function recordField(type: Type, name: string): Type {
  const field = (type as unknown as { field(name: string): { type: Type } | undefined }).field(name);
  if (field === undefined) throw new Error(`internal schema: ${type.name} has no field ${name}`);
  return field.type;
}

function nonNull(type: Type): Type {
  const branches = (type as unknown as { types: Type[] }).types;
  return branches.find((t) => t.typeName !== 'null')!;
}

/** A message shape compiled: its avsc type, schema fingerprint, and value conversions. */
export interface InternalMessageType {
  readonly shape: RecordShape;
  readonly schema: Schema;
  readonly type: Type;
  /** First 4 bytes of the SHA-256 of the schema's canonical form (big-endian): changes with the layout. */
  readonly fingerprint: number;
  /** What avsc should write for a message (without `v`). */
  toAvro(message: object): unknown;
  /** The plain message object (with `v`) from what avsc decoded. */
  fromAvro(decoded: unknown): unknown;
}

export function compileMessageType(shape: RecordShape): InternalMessageType {
  const schema = avroSchemaOf(shape);
  const type = parseAvroType(schema);
  const write = writerOf(shape, type);
  const read = readerOf(shape, type);
  return {
    shape,
    schema,
    type,
    fingerprint: type.fingerprint('sha256').readUInt32BE(0),
    toAvro: write === null ? (message) => message : (message) => write(message as AvroValue),
    fromAvro: (decoded) => read(decoded as AvroValue),
  };
}
