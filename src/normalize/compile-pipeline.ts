import { OrderlakeError } from '../errors.js';
import type { CanonicalEvent, CaseImage, CrmOp, LineImage, OrderImage, TmsEvent, WmsEvent } from './canonical-event.js';
import {
  caseImageBuilder,
  lineImageBuilder,
  orderImageBuilder,
  tmsEventBuilder,
  wmsEventBuilder,
  type ReadersOf,
} from './canonical-builders.js';
import { CANONICAL_FIELDS } from './canonical-fields.js';
import { compileFieldReader, type FieldReader } from './field-reader.js';
import { isCanonicalMillis } from './timestamps.js';
import type { Pipeline } from './pipeline-schema.js';

/**
 * One pipeline turned into a closure from a decoded value to a canonical event (or null for an
 * allowed tombstone). Errors carry no input position; the normalizer adds it.
 */
export type CompiledPipeline = (value: unknown) => CanonicalEvent | null;

/** Readers for every canonical field of the pipeline's kind, keyed by canonical name. */
function readersFor<T>(pipeline: Pipeline, pathPrefix: string): ReadersOf<T> {
  const readers: Record<string, FieldReader> = {};
  for (const name of Object.keys(CANONICAL_FIELDS[pipeline.emits])) {
    const mapping = pipeline.fields[name];
    if (mapping === undefined) {
      throw new OrderlakeError('OL_ERR_PIPELINE_INVALID', `${pipeline.file}: fields: missing mapping for canonical field "${name}"`, {
        context: { file: pipeline.file },
      });
    }
    readers[name] = compileFieldReader(name, mapping, pipeline.maps, { pathPrefix });
  }
  return readers as ReadersOf<T>;
}

function mappingError(where: string, message: string): never {
  throw new OrderlakeError('OL_ERR_NORMALIZE_MAPPING', `${where}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tombstone(pipeline: Pipeline): () => null {
  if (pipeline.tombstones === 'allow') return () => null;
  const message = `tombstone (null value) on topic ${pipeline.topic}, whose pipeline ${pipeline.name} rejects tombstones`;
  return () => {
    throw new OrderlakeError('OL_ERR_NORMALIZE_TOMBSTONE', message);
  };
}

function compilePlain(pipeline: Pipeline, build: (record: object) => WmsEvent | TmsEvent): CompiledPipeline {
  const onTombstone = tombstone(pipeline);
  return (value) => {
    if (value === null || value === undefined) return onTombstone();
    if (!isRecord(value)) return mappingError('value', 'expected a record');
    return build(value);
  };
}

function safeInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

interface DebeziumChange {
  readonly op: CrmOp;
  readonly lsn: number;
  readonly tsMs: number;
  /** The `after` image for c/u/r, the `before` image for d. */
  readonly image: object;
}

/** Checks a Debezium envelope and picks the image to read; shared by the three CRM kinds. */
function readEnvelope(value: Record<string, unknown>): DebeziumChange {
  const source = value['source'];
  if (!isRecord(source)) return mappingError('source', 'is missing');
  const lsn = safeInteger(source['lsn']);
  if (lsn === undefined) return mappingError('source.lsn', 'is missing or not an integer; a CRM event is identified by its lsn');
  const tsMs = safeInteger(source['ts_ms']);
  if (tsMs === undefined) return mappingError('source.ts_ms', 'is missing or not an integer');
  if (!isCanonicalMillis(tsMs)) {
    throw new OrderlakeError('OL_ERR_NORMALIZE_TIMESTAMP', `source.ts_ms: ${tsMs} is outside the years 0000–9999 a timestamp may have`);
  }
  const op = value['op'];
  if (op === 'c' || op === 'u' || op === 'r') {
    const image = value['after'];
    if (!isRecord(image)) return mappingError('after', `is missing; op "${op}" needs an after image`);
    return { op, lsn, tsMs, image };
  }
  if (op === 'd') {
    const image = value['before'];
    if (!isRecord(image)) return mappingError('before', 'is missing; a delete needs the before image for its identity');
    return { op, lsn, tsMs, image };
  }
  return mappingError('op', `expected one of "c", "u", "d", "r", got ${JSON.stringify(op)}`);
}

/** A reader of one identity field from a delete's `before` image. */
function identityReader(pipeline: Pipeline, name: string, nullable = false): FieldReader {
  const mapping = pipeline.fields[name];
  if (mapping === undefined) throw new OrderlakeError('OL_ERR_PIPELINE_INVALID', `${pipeline.file}: fields: missing mapping for "${name}"`);
  return compileFieldReader(name, mapping, pipeline.maps, { pathPrefix: 'before.', nullable });
}

function debezium(pipeline: Pipeline, toEvent: (change: DebeziumChange) => CanonicalEvent): CompiledPipeline {
  const onTombstone = tombstone(pipeline);
  return (value) => {
    if (value === null || value === undefined) return onTombstone();
    if (!isRecord(value)) return mappingError('value', 'expected a Debezium change event record');
    return toEvent(readEnvelope(value));
  };
}

function compileOrders(pipeline: Pipeline): CompiledPipeline {
  const image = orderImageBuilder(readersFor<OrderImage>(pipeline, 'after.'));
  const orderId = identityReader(pipeline, 'order_id');
  const rowVersion = identityReader(pipeline, 'row_version', true);
  return debezium(pipeline, ({ op, lsn, tsMs, image: record }) => {
    if (op === 'd') {
      return { kind: 'crm_order', source: 'crm', op, lsn, ts_ms: tsMs, order_id: orderId(record) as string, row_version: rowVersion(record) as number | null, image: null };
    }
    const after = image(record);
    return { kind: 'crm_order', source: 'crm', op, lsn, ts_ms: tsMs, order_id: after.order_id, row_version: after.row_version, image: after };
  });
}

function compileLines(pipeline: Pipeline): CompiledPipeline {
  const image = lineImageBuilder(readersFor<LineImage>(pipeline, 'after.'));
  const orderId = identityReader(pipeline, 'order_id');
  const lineNo = identityReader(pipeline, 'line_no');
  return debezium(pipeline, ({ op, lsn, tsMs, image: record }) => {
    if (op === 'd') {
      return { kind: 'crm_line', source: 'crm', op, lsn, ts_ms: tsMs, order_id: orderId(record) as string, line_no: lineNo(record) as number, image: null };
    }
    const after = image(record);
    return { kind: 'crm_line', source: 'crm', op, lsn, ts_ms: tsMs, order_id: after.order_id, line_no: after.line_no, image: after };
  });
}

function compileCases(pipeline: Pipeline): CompiledPipeline {
  const image = caseImageBuilder(readersFor<CaseImage>(pipeline, 'after.'));
  const orderId = identityReader(pipeline, 'order_id');
  const caseId = identityReader(pipeline, 'case_id');
  return debezium(pipeline, ({ op, lsn, tsMs, image: record }) => {
    if (op === 'd') {
      return { kind: 'crm_case', source: 'crm', op, lsn, ts_ms: tsMs, order_id: orderId(record) as string, case_id: caseId(record) as string, image: null };
    }
    const after = image(record);
    return { kind: 'crm_case', source: 'crm', op, lsn, ts_ms: tsMs, order_id: after.order_id, case_id: after.case_id, image: after };
  });
}

/** Compiles a validated pipeline once; the result is called for every record of its topic. */
export function compilePipeline(pipeline: Pipeline): CompiledPipeline {
  switch (pipeline.emits) {
    case 'crm_order':
      return compileOrders(pipeline);
    case 'crm_line':
      return compileLines(pipeline);
    case 'crm_case':
      return compileCases(pipeline);
    case 'wms':
      return compilePlain(pipeline, wmsEventBuilder(readersFor<Omit<WmsEvent, 'kind' | 'source'>>(pipeline, '')));
    case 'tms':
      return compilePlain(pipeline, tmsEventBuilder(readersFor<Omit<TmsEvent, 'kind' | 'source'>>(pipeline, '')));
  }
}
