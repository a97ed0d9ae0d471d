import type { HealthCase } from '../../health/index.js';
import { qualifiedTable } from './identifier.js';
import type { Migration } from './migrations.js';
import { checkRow, type FieldCheck, jsonDocument, millis, nullableMillis, nullableText, text, uint, flag } from './row-checks.js';
import type { TableEncoding } from './table-encoding.js';
import { TABLES } from './table-names.js';

/**
 * One version of an exception case (see `HealthCase`): the searchable fields as columns, the whole
 * case as JSON in `body`. Versioned like the golden table: the newest `version` of a `case_id`
 * wins (`FINAL`), so a re-written version after a restart collapses.
 */
export interface CaseRow {
  case_id: string;
  version: number;
  rule: string;
  subject: string;
  order_id: string | null;
  tracking_no: string | null;
  source: string | null;
  /** The merge partition owning the case's order (0 for shipment and source cases, and embedded mode). */
  owner_partition: number;
  severity: string;
  queue: string;
  status: string;
  at_risk: 0 | 1;
  channel: string | null;
  threshold_ms: number;
  /** Epoch ms, like every time column here. */
  since: number;
  due_at: number | null;
  opened_at: number;
  at_risk_at: number | null;
  breached_at: number | null;
  updated_at: number;
  resolved_at: number | null;
  resolution: string | null;
  assignee: string | null;
  /** Wall clock when the row was written. */
  written_at: number;
  /** The whole case (history, playbook, evidence). */
  body: object;
}

const CASE_FIELDS: Record<keyof CaseRow, FieldCheck> = {
  case_id: text, version: uint(64), rule: text, subject: text, order_id: nullableText, tracking_no: nullableText,
  source: nullableText, owner_partition: uint(16), severity: text, queue: text, status: text, at_risk: flag,
  channel: nullableText, threshold_ms: uint(64), since: millis, due_at: nullableMillis, opened_at: millis,
  at_risk_at: nullableMillis, breached_at: nullableMillis, updated_at: millis, resolved_at: nullableMillis,
  resolution: nullableText, assignee: nullableText, written_at: millis, body: jsonDocument,
};

const CASE_COLUMNS = Object.keys(CASE_FIELDS) as Array<keyof CaseRow>;

export const CASE_ENCODING: TableEncoding<CaseRow> = {
  table: TABLES.cases,
  columns: CASE_COLUMNS,
  values: (r) => CASE_COLUMNS.map((c) => r[c]),
  check: (r) => checkRow(r, CASE_FIELDS),
};

const ms = (iso: string): number => Date.parse(iso);
const msOrNull = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** The row of one case version; `writtenAt` is the wall clock of the write. */
export function toCaseRow(held: HealthCase, ownerPartition: number, writtenAt: number): CaseRow {
  return {
    case_id: held.case_id,
    version: held.version,
    rule: held.rule,
    subject: held.subject,
    order_id: held.order_id,
    tracking_no: held.tracking_no,
    source: held.source,
    owner_partition: ownerPartition,
    severity: held.severity,
    queue: held.queue,
    status: held.status,
    at_risk: held.at_risk ? 1 : 0,
    channel: held.channel,
    threshold_ms: held.threshold_ms,
    since: ms(held.since),
    due_at: msOrNull(held.due_at),
    opened_at: ms(held.opened_at),
    at_risk_at: msOrNull(held.at_risk_at),
    breached_at: msOrNull(held.breached_at),
    updated_at: ms(held.updated_at),
    resolved_at: msOrNull(held.resolved_at),
    resolution: held.resolution,
    assignee: held.assignee,
    written_at: writtenAt,
    body: held as unknown as object,
  };
}

const UTC_MS = "DateTime64(3, 'UTC')";

/** Migration 5: the exception cases table. */
export const CASE_TABLE_MIGRATION: Migration = {
  version: 5,
  name: 'create_exception_cases',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.cases)} (
      case_id String,
      version UInt64,
      rule LowCardinality(String),
      subject LowCardinality(String),
      order_id Nullable(String),
      tracking_no Nullable(String),
      source LowCardinality(Nullable(String)),
      owner_partition UInt16,
      severity LowCardinality(String),
      queue LowCardinality(String),
      status LowCardinality(String),
      at_risk UInt8,
      channel LowCardinality(Nullable(String)),
      threshold_ms UInt64,
      since ${UTC_MS},
      due_at Nullable(${UTC_MS}),
      opened_at ${UTC_MS},
      at_risk_at Nullable(${UTC_MS}),
      breached_at Nullable(${UTC_MS}),
      updated_at ${UTC_MS},
      resolved_at Nullable(${UTC_MS}),
      resolution LowCardinality(Nullable(String)),
      assignee Nullable(String),
      written_at ${UTC_MS},
      body String
    ) ENGINE = ReplacingMergeTree(version)
    ORDER BY case_id`,
  ],
};
