import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OrderlakeError } from '../../../src/errors.js';
import {
  createNormalizer,
  parsePipelineFile,
  type CrmCaseEvent,
  type CrmLineEvent,
  type CrmOrderEvent,
  type Normalizer,
  type Pipeline,
  type SourcePosition,
  type WmsEvent,
} from '../../../src/normalize/index.js';
import {
  PIPELINES_DIR,
  copyValue,
  positionOf,
  referenceNormalizer,
  contractLine,
  thrown,
  type ReplayLine,
} from './support/reference-deployment.js';

let normalizer: Normalizer;

beforeAll(async () => {
  normalizer = await referenceNormalizer();
});

const ORDERS = 'crm.public.orders';
const WMS = 'wms.fulfillment.events';
const POSITION: SourcePosition = { topic: ORDERS, partition: 3, offset: '42', timestamp: 1_795_000_000_000, line: 7 };

const firstOrder = (): ReplayLine => contractLine((l) => l.topic === ORDERS && l.value?.['op'] === 'c');
const orderUpdate = (): ReplayLine => contractLine((l) => l.topic === ORDERS && l.value?.['op'] === 'u');
const wmsLine = (): ReplayLine => contractLine((l) => l.topic === WMS && l.schema === 'wms.fulfillment.v2');

function after(value: Record<string, unknown>): Record<string, unknown> {
  return value['after'] as Record<string, unknown>;
}

/** Normalizes and returns the OrderlakeError it must throw. */
function failure(topic: string, value: unknown, position: SourcePosition = { ...POSITION, topic }): OrderlakeError {
  const err = thrown(() => normalizer.normalize(topic, value, position));
  expect(err).toBeInstanceOf(OrderlakeError);
  return err as OrderlakeError;
}

async function pipelineFrom(file: string, edit: (text: string) => string): Promise<Pipeline> {
  const parsed = parsePipelineFile(file, edit(await readFile(join(PIPELINES_DIR, file), 'utf8')));
  expect(parsed.problems).toEqual([]);
  return parsed.pipeline as Pipeline;
}

describe('Debezium envelope', () => {
  it('takes the after image of a create, with lsn and ts_ms from source', () => {
    const line = firstOrder();
    const event = normalizer.normalize(ORDERS, line.value, positionOf(line)) as CrmOrderEvent;
    const source = line.value?.['source'] as Record<string, number>;
    expect(event).toMatchObject({ kind: 'crm_order', source: 'crm', op: 'c', lsn: source['lsn'], ts_ms: source['ts_ms'], order_id: 'SO-000001', row_version: 1 });
    expect(event.image).toMatchObject({ order_id: 'SO-000001', total_amount: '356.00', gift_order: true, row_version: 1, paid_at: null });
  });

  it('ignores the before image of an update', () => {
    const line = orderUpdate();
    const event = normalizer.normalize(ORDERS, line.value, positionOf(line)) as CrmOrderEvent;
    expect(event.op).toBe('u');
    expect(event.row_version).toBe(after(line.value as Record<string, unknown>)['row_version']);
    expect(event.image?.status).toBe(after(line.value as Record<string, unknown>)['status']);
  });

  it('reads a snapshot read like a create', () => {
    const value = copyValue(firstOrder());
    value['op'] = 'r';
    expect(normalizer.normalize(ORDERS, value, POSITION)).toMatchObject({ op: 'r', order_id: 'SO-000001', image: { order_id: 'SO-000001' } });
  });

  it('takes the identity of a delete from before and has no image', () => {
    const value = copyValue(orderUpdate());
    const before = value['before'] as Record<string, unknown>;
    value['after'] = null;
    value['op'] = 'd';
    const event = normalizer.normalize(ORDERS, value, POSITION) as CrmOrderEvent;
    expect(event).toEqual({
      kind: 'crm_order',
      source: 'crm',
      op: 'd',
      lsn: (value['source'] as Record<string, unknown>)['lsn'],
      ts_ms: (value['source'] as Record<string, unknown>)['ts_ms'],
      order_id: before['order_id'],
      row_version: before['row_version'],
      image: null,
    });
  });

  it('gives a delete whose before image has only the key a null row_version', () => {
    const value = copyValue(orderUpdate());
    value['before'] = { order_id: 'SO-000001' };
    value['after'] = null;
    value['op'] = 'd';
    expect(normalizer.normalize(ORDERS, value, POSITION)).toMatchObject({ op: 'd', order_id: 'SO-000001', row_version: null, image: null });
  });

  it('gives line and case deletes their identity', () => {
    const line = contractLine((l) => l.topic === 'crm.public.order_lines');
    const lineValue = copyValue(line);
    lineValue['before'] = lineValue['after'];
    lineValue['after'] = null;
    lineValue['op'] = 'd';
    const lineEvent = normalizer.normalize(line.topic, lineValue, positionOf(line)) as CrmLineEvent;
    expect(lineEvent).toMatchObject({ kind: 'crm_line', op: 'd', order_id: 'SO-000001', line_no: 1, image: null });

    const caseLine = contractLine((l) => l.topic === 'crm.public.after_sales' && l.value !== null, 'forty-orders-shuffled.jsonl');
    const caseValue = copyValue(caseLine);
    const image = caseValue['after'] as Record<string, unknown>;
    caseValue['before'] = image;
    caseValue['after'] = null;
    caseValue['op'] = 'd';
    const caseEvent = normalizer.normalize(caseLine.topic, caseValue, positionOf(caseLine)) as CrmCaseEvent;
    expect(caseEvent).toMatchObject({ kind: 'crm_case', op: 'd', case_id: image['case_id'], order_id: image['order_id'], image: null });
  });

  it('refuses a delete without a before image', () => {
    const value = copyValue(orderUpdate());
    value['before'] = null;
    value['after'] = null;
    value['op'] = 'd';
    const err = failure(ORDERS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('before: is missing');
  });

  it('refuses a create without an after image', () => {
    const value = copyValue(firstOrder());
    value['after'] = null;
    expect(failure(ORDERS, value).message).toContain('after: is missing; op "c" needs an after image');
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['not an integer', '1046'],
  ])('refuses a change whose source.lsn is %s', (_label, lsn) => {
    const value = copyValue(firstOrder());
    const source = value['source'] as Record<string, unknown>;
    if (lsn === undefined) delete source['lsn'];
    else source['lsn'] = lsn;
    const err = failure(ORDERS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('source.lsn');
  });

  it('refuses an unknown op', () => {
    const value = copyValue(firstOrder());
    value['op'] = 't';
    const err = failure(ORDERS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('op: expected one of "c", "u", "d", "r", got "t"');
  });

  it('lets the CRM topics skip tombstones', () => {
    for (const topic of [ORDERS, 'crm.public.order_lines', 'crm.public.after_sales']) {
      expect(normalizer.normalize(topic, null, { ...POSITION, topic })).toBeNull();
    }
  });
});

describe('errors', () => {
  it('carry the input position as context and name pipeline, topic and field path', () => {
    const value = copyValue(firstOrder());
    after(value)['customer_name'] = 42;
    const err = failure(ORDERS, value, POSITION);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.context).toEqual(POSITION);
    expect(err.message).toBe('crm-orders (crm.public.orders): after.customer_name (canonical customer_name): expected a string, got 42');
  });

  it('refuse a tombstone on a topic that rejects them', () => {
    const position = { ...POSITION, topic: WMS };
    const err = failure(WMS, null, position);
    expect(err.code).toBe('OL_ERR_NORMALIZE_TOMBSTONE');
    expect(err.context).toEqual(position);
  });

  it('refuse a topic no pipeline reads', () => {
    const err = failure('erp.invoices', {});
    expect(err.code).toBe('OL_ERR_NO_PIPELINE');
    expect(err.message).toContain('erp.invoices');
  });

  it('refuse a value that is not a record', () => {
    expect(failure(WMS, 'SHIPPED').code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(failure(ORDERS, [1, 2]).code).toBe('OL_ERR_NORMALIZE_MAPPING');
  });

  it('refuse a missing non-nullable field', () => {
    const value = copyValue(firstOrder());
    delete after(value)['ship_city'];
    const err = failure(ORDERS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('after.ship_city (canonical ship_city): is missing');
  });

  it('refuse null in a non-nullable field', () => {
    const value = copyValue(wmsLine());
    value['external_order_no'] = null;
    const err = failure(WMS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('external_order_no (canonical order_id): is null but not nullable');
  });

  it.each([
    ['an int as a string', 'row_version', '2'],
    ['a fractional long', 'row_version', 2.5],
    ['a boolean as a string', 'gift_order', 'true'],
    ['a ZonedTimestamp as a number', 'created_at', 1_795_000_062_030],
    ['a MicroTimestamp as a string', 'promised_delivery_at', '1795183662030000'],
  ])('refuse %s as a mapping error', (_label, field, bad) => {
    const value = copyValue(firstOrder());
    after(value)[field] = bad;
    const err = failure(ORDERS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain(`after.${field} (canonical ${field})`);
  });

  it('refuse a 32-bit int out of range', () => {
    const line = contractLine((l) => l.topic === 'crm.public.order_lines');
    const value = copyValue(line);
    after(value)['quantity'] = 2 ** 31;
    expect(failure(line.topic, value).message).toContain('expected a 32-bit integer');
  });
});

describe('conversions', () => {
  it.each(['356.0', '0356.00', '356', '3.56e2', '-0.00'])('refuse the non-canonical decimal %s', (bad) => {
    const value = copyValue(firstOrder());
    after(value)['total_amount'] = bad;
    const err = failure(ORDERS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_DECIMAL');
    expect(err.message).toContain('after.total_amount (canonical total_amount): expected a canonical decimal string with 2 fraction digits');
  });

  it('refuse a decimal given as a number', () => {
    const value = copyValue(firstOrder());
    after(value)['total_amount'] = 356;
    expect(failure(ORDERS, value).code).toBe('OL_ERR_NORMALIZE_DECIMAL');
  });

  it.each(['2026-11-18T19:07:42.030', '2026-13-18T19:07:42Z', '2026-11-18T19:07:42Z!'])('refuse the malformed ZonedTimestamp %s', (bad) => {
    const value = copyValue(firstOrder());
    after(value)['updated_at'] = bad;
    const err = failure(ORDERS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
    expect(err.message).toContain('after.updated_at');
  });

  it('truncate ZonedTimestamp nanoseconds', () => {
    const value = copyValue(firstOrder());
    after(value)['paid_at'] = '2026-11-18T19:07:42.030123456+08:00';
    const event = normalizer.normalize(ORDERS, value, POSITION) as CrmOrderEvent;
    expect(event.image?.paid_at).toBe(Date.UTC(2026, 10, 18, 11, 7, 42, 30));
  });

  it('floor MicroTimestamps, negative ones included', () => {
    const value = copyValue(firstOrder());
    after(value)['promised_delivery_at'] = -1;
    expect((normalizer.normalize(ORDERS, value, POSITION) as CrmOrderEvent).image?.promised_delivery_at).toBe(-1);
    after(value)['promised_delivery_at'] = 1_795_183_662_030_999;
    expect((normalizer.normalize(ORDERS, value, POSITION) as CrmOrderEvent).image?.promised_delivery_at).toBe(1_795_183_662_030);
  });

  it('refuse a fractional MicroTimestamp as a malformed timestamp', () => {
    const value = copyValue(firstOrder());
    after(value)['promised_delivery_at'] = 1.5;
    expect(failure(ORDERS, value).code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
  });

  it('refuse a fractional millis timestamp as a malformed timestamp', () => {
    const value = copyValue(wmsLine());
    value['occurred_at'] = 1_795_001_089_906.5;
    expect(failure(WMS, value).code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
  });

  it('accept exact bigints for integers and timestamps', () => {
    const value = copyValue(firstOrder());
    after(value)['row_version'] = 7n;
    after(value)['promised_delivery_at'] = 1_795_183_662_030_000n;
    const event = normalizer.normalize(ORDERS, value, POSITION) as CrmOrderEvent;
    expect(event.row_version).toBe(7);
    expect(event.image?.promised_delivery_at).toBe(1_795_183_662_030);
  });

  it('read a WMS version-1 record, whose version-2 fields are absent, as nulls', () => {
    const line = contractLine((l) => l.topic === WMS && l.schema === 'wms.fulfillment.v1');
    const event = normalizer.normalize(WMS, line.value, positionOf(line)) as WmsEvent;
    expect(event.store_id).toBeNull();
    expect(event.order_id).toBe(line.value?.['external_order_no']);
  });
});

describe('value maps', () => {
  it('refuse a value missing from a map without default', () => {
    const value = copyValue(wmsLine());
    value['event_type'] = 'TELEPORTED';
    const err = failure(WMS, value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('value "TELEPORTED" is not in map "wms_event_types", which has no default');
  });

  it('translate values and fall back to the default', async () => {
    const pipeline = await pipelineFrom('wms-fulfillment.yaml', (text) =>
      text.replace('      PICKED: PICKED', '      PICKED: PICKING_DONE').replace('      UNKNOWN: UNKNOWN', '      UNKNOWN: UNKNOWN\n    default: UNKNOWN'),
    );
    const custom = createNormalizer([pipeline]);
    const value = copyValue(wmsLine());
    value['event_type'] = 'PICKED';
    expect(custom.normalize(WMS, value, POSITION)).toMatchObject({ event_type: 'PICKING_DONE' });
    value['event_type'] = 'TELEPORTED';
    expect(custom.normalize(WMS, value, POSITION)).toMatchObject({ event_type: 'UNKNOWN' });
  });
});

describe('mappings are declarative', () => {
  it('follow nested paths of any depth', async () => {
    const pipeline = await pipelineFrom('wms-fulfillment.yaml', (text) =>
      text.replace('from: carrier_code,', 'from: shipping.carrier.code,').replace('from: tracking_no,', 'from: shipping.tracking_no,'),
    );
    const custom = createNormalizer([pipeline]);
    const value = copyValue(wmsLine());
    value['shipping'] = { carrier: { code: 'SF' }, tracking_no: 'SF123' };
    expect(custom.normalize(WMS, value, POSITION)).toMatchObject({ carrier: 'SF', tracking_no: 'SF123' });
    value['shipping'] = null;
    expect(custom.normalize(WMS, value, POSITION)).toMatchObject({ carrier: null, tracking_no: null });
  });

  it('give every event of a kind the same field order, whatever the YAML order', async () => {
    const pipeline = await pipelineFrom('wms-fulfillment.yaml', (text) => {
      const lines = text.split('\n');
      const start = lines.findIndex((l) => l.startsWith('fields:')) + 1;
      const block = lines.slice(start, start + 10).reverse();
      return [...lines.slice(0, start), ...block, ...lines.slice(start + 10)].join('\n');
    });
    const value = wmsLine().value;
    const reordered = createNormalizer([pipeline]).normalize(WMS, value, POSITION) as WmsEvent;
    const reference = normalizer.normalize(WMS, value, POSITION) as WmsEvent;
    expect(Object.keys(reordered)).toEqual(Object.keys(reference));
    expect(reordered).toEqual(reference);
  });
});

describe('createNormalizer', () => {
  it('lists its topics and finds the pipeline of a topic', () => {
    expect([...normalizer.topics].sort()).toEqual([
      'crm.public.after_sales',
      'crm.public.order_lines',
      'crm.public.orders',
      'tms.tracking.events',
      'wms.fulfillment.events',
    ]);
    expect(normalizer.pipelineFor(WMS)?.name).toBe('wms-fulfillment');
    expect(normalizer.pipelineFor('nope')).toBeUndefined();
  });

  it('refuses two pipelines for one topic', async () => {
    const pipeline = await pipelineFrom('tms-tracking.yaml', (text) => text);
    const err = thrown(() => createNormalizer([pipeline, { ...pipeline, name: 'tms-copy' }]));
    expect(err).toBeInstanceOf(OrderlakeError);
    expect((err as OrderlakeError).code).toBe('OL_ERR_PIPELINE_INVALID');
  });
});
