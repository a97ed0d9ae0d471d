import { qualifiedTable } from './identifier.js';
import type { Migration } from './migrations.js';
import { TABLES } from './table-names.js';

/**
 * Views of the tables that hold personal data (customer names, phone numbers, addresses, free
 * text, raw source payloads), with that data masked, for analysts whose token has no `pii`
 * permission. `POST /sql` refuses such callers any read of a personal-data column of a base table
 * and points them here (see `src/api/sql/read-policy.ts`); on a ClickHouse server the same split is
 * a user granted only these views (README, "Personal data").
 *
 * Masking, everywhere the same:
 * - phone: the first 3 and last 4 characters kept, every one between a `*` (`13812341234` →
 *   `138****1234`); shorter than 8 characters: all `*`.
 * - name: the first character kept, every other one a `*` (`张三丰` → `张**`); one character: `*`.
 * - street address line and free text (`buyer_note`): `***`.
 * - JSON documents (golden view, lake payloads, dead-letter JSON, case bodies): rebuilt with the
 *   same keys in the same order, the values above masked at any object depth up to
 *   {@link MASK_DEPTH}; keys are those of the golden view (`customer.name`, `customer.phone`,
 *   `ship_to.name`, `ship_to.phone`, `ship_to.line`, `buyer_note`), of canonical and source events
 *   (`customer_name`, `customer_phone`, `ship_name`, `ship_phone`, `ship_line`, `signed_by`) and any
 *   key named `phone`. A document that is not a JSON object reads as `''`.
 * - raw bytes (`dead_letters.value`, base64 Avro): `''`; quoted values inside dead-letter reasons
 *   (normalize quotes the value it could not map): `"***"`.
 *
 * `CREATE OR REPLACE VIEW`: re-running the migration, or a later one redefining a view, is
 * harmless. Views hold no data.
 */

/** How many levels of nested JSON objects are masked (a case's `evidence.ship_to.name` is level 3). */
export const MASK_DEPTH = 3;

/** The masked views, by the table each one masks. */
export const MASKED_VIEWS = {
  [TABLES.golden]: TABLES.goldenMasked,
  [TABLES.lake]: TABLES.lakeMasked,
  [TABLES.pendingShipments]: TABLES.pendingShipmentsMasked,
  [TABLES.deadLetters]: TABLES.deadLettersMasked,
  [TABLES.cases]: TABLES.casesMasked,
} as const;

/** Columns of each base table that hold personal data, directly or inside a raw document. */
export const PERSONAL_DATA_COLUMNS: Readonly<Record<keyof typeof MASKED_VIEWS, readonly string[]>> = {
  [TABLES.golden]: ['customer_phone', 'ship_phone', 'view'],
  [TABLES.lake]: ['payload'],
  [TABLES.pendingShipments]: ['payload'],
  [TABLES.deadLetters]: ['value', 'value_json', 'reason'],
  [TABLES.cases]: ['body'],
};

const PHONE_KEYS = "('phone', 'customer_phone', 'ship_phone')";
const NAME_KEYS = "('customer_name', 'ship_name', 'signed_by')";
/** Objects whose `name` is a person's (elsewhere, `name` is a product's). */
const PERSON_OBJECTS = "('customer', 'ship_to')";
const ADDRESS_KEYS = "('ship_line')";
const TEXT_KEYS = "('buyer_note')";

/** A phone number masked: `138****1234`. NULL stays NULL. */
export function maskPhone(x: string): string {
  return `if(lengthUTF8(${x}) >= 8, concat(leftUTF8(${x}, 3), repeat('*', toUInt64(lengthUTF8(${x}) - 7)), rightUTF8(${x}, 4)), repeat('*', toUInt64(lengthUTF8(${x}))))`;
}

/** A person's name masked: first character, then one `*` per further character. NULL stays NULL. */
export function maskName(x: string): string {
  return `if(lengthUTF8(${x}) <= 1, repeat('*', toUInt64(lengthUTF8(${x}))), concat(leftUTF8(${x}, 1), repeat('*', toUInt64(lengthUTF8(${x}) - 1))))`;
}

/** An address line or free text: `***` (empty stays empty, NULL stays NULL). */
export function maskText(x: string): string {
  return `if(${x} = '', '', '***')`;
}

/**
 * The members of the JSON object `doc` (an SQL expression of type String), masked, joined back
 * into an object. `parentKey` is the SQL expression of the key this object sits under (null at
 * the top). Lambda parameters are numbered by level, so an inner lambda can read its parent's key.
 */
function maskObject(doc: string, level: number, parentKey: string | null): string {
  const kv = `kv${level}`;
  const key = `${kv}.1`;
  const raw = `${kv}.2`;
  const type = `JSONType(${raw})`;
  const text = `JSONExtractString(${raw})`;
  const person = parentKey === null ? '0' : `${parentKey} IN ${PERSON_OBJECTS}`;
  const isPhone = `${key} IN ${PHONE_KEYS}`;
  const isName = `(${key} IN ${NAME_KEYS} OR (${key} = 'name' AND ${person}))`;
  const isAddress = `(${key} IN ${ADDRESS_KEYS} OR (${key} = 'line' AND ${parentKey === null ? '0' : `${parentKey} = 'ship_to'`}))`;
  const isText = `${key} IN ${TEXT_KEYS}`;
  const personal = `(${isPhone} OR ${isName} OR ${isAddress} OR ${isText})`;
  const nested = level < MASK_DEPTH ? `${type} = 'Object', ${maskObject(raw, level + 1, key)},` : '';
  const value = `multiIf(
      ${personal} AND ${type} = 'Null', ${raw},
      ${isPhone} AND ${type} = 'String', toJSONString(${maskPhone(text)}),
      ${isName} AND ${type} = 'String', toJSONString(${maskName(text)}),
      ${personal} AND ${type} = 'String', toJSONString(${maskText(text)}),
      ${personal}, '"***"',
      ${nested}
      ${raw})`;
  return `concat('{', arrayStringConcat(arrayMap(${kv} -> concat(toJSONString(${key}), ':', ${value}), JSONExtractKeysAndValuesRaw(${doc})), ','), '}')`;
}

/** A JSON document (String expression) with its personal data masked; `''` when it is not a JSON object. */
export function maskJson(doc: string): string {
  return `if(JSONType(${doc}) = 'Object', ${maskObject(doc, 1, null)}, '')`;
}

function goldenMasked(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, MASKED_VIEWS[TABLES.golden])} AS
    SELECT
      order_id, version, updated_at, is_deleted, owner_partition, status, channel, customer_id,
      ${maskPhone('customer_phone')} AS customer_phone,
      ${maskPhone('ship_phone')} AS ship_phone,
      tracking_nos, exceptions, created_at,
      ${maskJson('view')} AS view
    FROM ${qualifiedTable(db, TABLES.golden)} FINAL`;
}

/**
 * The lake: every stored copy (no FINAL, like the table), `payload` masked. `SELECT *` also
 * lists `order_version`: the masked view is created after that column was added (migration 7).
 */
function lakeMasked(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, MASKED_VIEWS[TABLES.lake])} AS
    SELECT
      event_uid, source, kind, order_id, owner_partition, topic, \`partition\`, \`offset\`, line,
      event_time, kafka_time, ingested_at, ${maskJson('payload')} AS payload, order_version
    FROM ${qualifiedTable(db, TABLES.lake)}`;
}

function pendingMasked(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, MASKED_VIEWS[TABLES.pendingShipments])} AS
    SELECT
      event_uid, tracking_no, link_partition, link_keys, topic, \`partition\`, \`offset\`, line,
      event_time, kafka_time, ingested_at, ${maskJson('payload')} AS payload, resolved
    FROM ${qualifiedTable(db, TABLES.pendingShipments)}`;
}

function deadLettersMasked(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, MASKED_VIEWS[TABLES.deadLetters])} AS
    SELECT
      id, at, stage, code,
      replaceRegexpAll(reason, '"(?:[^"\\\\\\\\]|\\\\\\\\.)*"', '"***"') AS reason,
      topic, \`partition\`, \`offset\`, line, file, key,
      '' AS value,
      ${maskJson('value_json')} AS value_json
    FROM ${qualifiedTable(db, TABLES.deadLetters)}`;
}

/** Exception cases, newest version of each (FINAL, as the API reads them); `body` masked (evidence may copy `ship_to`). */
function casesMasked(db: string): string {
  return `CREATE OR REPLACE VIEW ${qualifiedTable(db, MASKED_VIEWS[TABLES.cases])} AS
    SELECT * REPLACE (${maskJson('body')} AS body)
    FROM ${qualifiedTable(db, TABLES.cases)} FINAL`;
}

/** The masked views (see the module comment). */
export const MASKED_VIEWS_MIGRATION: Migration = {
  version: 8,
  name: 'create_masked_views',
  statements: (db) => [goldenMasked(db), lakeMasked(db), pendingMasked(db), deadLettersMasked(db), casesMasked(db)],
};
