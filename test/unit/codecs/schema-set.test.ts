import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSchemaSet, loadSchemas } from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';
import { SCHEMA_DIR, rejection } from './helpers.js';

const tempDirs: string[] = [];
async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orderlake-schemas-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('loadSchemas', () => {
  it('loads the six contract schemas by file name', async () => {
    const schemas = await loadSchemas(SCHEMA_DIR);
    expect(schemas.names()).toEqual([
      'crm.public.after_sales',
      'crm.public.order_lines',
      'crm.public.orders',
      'tms.tracking',
      'wms.fulfillment.v1',
      'wms.fulfillment.v2',
    ]);
    const v2 = schemas.get('wms.fulfillment.v2');
    expect(v2.name).toBe('wms.fulfillment.v2');
    expect(v2.file).toBe(path.join(SCHEMA_DIR, 'wms.fulfillment.v2.avsc'));
    expect(JSON.parse(v2.schemaJson).name).toBe('FulfillmentEvent');
    expect(v2.schemaJson).not.toMatch(/\n/);
  });

  it('keeps uuid, timestamp-millis and connect.name fields plain; unions unwrapped; enums as strings', async () => {
    const schemas = await loadSchemas(SCHEMA_DIR);
    const tms = schemas.get('tms.tracking').type;
    const value = {
      event_id: 'e-1',
      tracking_no: 'SF1',
      carrier_code: 'SF',
      fulfillment_ref: null,
      order_ref: 'SO-1',
      event_code: 'DELIVERED',
      occurred_at: 1_795_000_062_030,
      location: null,
      eta: 1_795_000_000_000,
      exception_code: null,
      signed_by: null,
    };
    expect(tms.fromBuffer(tms.toBuffer(value))).toEqual(value);
    const crm = schemas.get('crm.public.orders');
    expect(crm.schemaJson).toContain('"connect.name":"io.debezium.time.MicroTimestamp"');
    const wms = schemas.get('wms.fulfillment.v1').type;
    const released = {
      event_id: 'not-a-uuid-but-a-string',
      event_type: 'RELEASED',
      occurred_at: 1_795_000_062_030,
      warehouse_id: 'WH-1',
      fulfillment_id: 'FF-1',
      external_order_no: 'SO-1',
      lines: [{ sku: 'SKU-1', qty_ordered: 2, qty_picked: 0 }],
      carrier_code: null,
      tracking_no: null,
      reason: null,
    };
    expect(wms.fromBuffer(wms.toBuffer(released))).toEqual(released);
  });

  it('names the file of a schema that does not parse', async () => {
    const dir = await tempDir({
      'good.avsc': '{"type":"record","name":"A","fields":[]}',
      'broken.avsc': '{"type":"record","name":"B","fields":[{"name":"x","type":"nosuchtype"}]}',
    });
    const err = await rejection(loadSchemas(dir));
    expect(err.code).toBe('OL_ERR_SCHEMA_INVALID');
    expect(err.message).toContain(path.join(dir, 'broken.avsc'));
    expect(err.context.file).toBe(path.join(dir, 'broken.avsc'));
  });

  it('names the file that is not JSON', async () => {
    const dir = await tempDir({ 'bad.avsc': '{"type":' });
    const err = await rejection(loadSchemas(dir));
    expect(err.code).toBe('OL_ERR_SCHEMA_INVALID');
    expect(err.message).toContain('bad.avsc');
  });

  it('rejects an invalid decimal annotation instead of falling back to bytes', async () => {
    const dir = await tempDir({
      'money.avsc': '{"type":"record","name":"M","fields":[{"name":"x","type":{"type":"bytes","logicalType":"decimal","precision":2,"scale":4}}]}',
    });
    const err = await rejection(loadSchemas(dir));
    expect(err.code).toBe('OL_ERR_SCHEMA_INVALID');
    expect(err.message).toContain('money.avsc');
  });

  it('fails on a missing folder and on a folder without schemas', async () => {
    expect((await rejection(loadSchemas(path.join(os.tmpdir(), 'no-such-orderlake-dir-x')))).code).toBe('OL_ERR_SCHEMA_INVALID');
    const empty = await tempDir({ 'readme.txt': 'no schemas here' });
    await mkdir(path.join(empty, 'nested.avsc'));
    expect((await rejection(loadSchemas(empty))).code).toBe('OL_ERR_SCHEMA_INVALID');
  });
});

describe('createSchemaSet', () => {
  it('fails on an unknown name and a duplicate name', () => {
    const set = createSchemaSet([{ name: 'a', json: '"string"' }]);
    expect(set.has('a')).toBe(true);
    expect(set.has('b')).toBe(false);
    expect(() => set.get('b')).toThrow(expect.objectContaining({ code: 'OL_ERR_SCHEMA_INVALID' }));
    expect(() => createSchemaSet([{ name: 'a', json: '"string"' }, { name: 'a', json: '"int"' }])).toThrow(
      expect.objectContaining({ code: 'OL_ERR_SCHEMA_INVALID' }),
    );
  });
});
