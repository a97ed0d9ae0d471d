import path from 'node:path';
import { createLocalSchemaRegistry, loadSchemas } from '../../../src/codecs/index.js';
import type { SchemaRegistry, SchemaSet } from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';

export const SCHEMA_DIR = path.resolve(import.meta.dirname, '../../../schemas');

/** The contract's reader schema per source topic (the newest version of each). */
export const READERS: Record<string, string> = {
  'crm.public.orders': 'crm.public.orders',
  'crm.public.order_lines': 'crm.public.order_lines',
  'crm.public.after_sales': 'crm.public.after_sales',
  'wms.fulfillment.events': 'wms.fulfillment.v2',
  'tms.tracking.events': 'tms.tracking',
};

/** A real local registry that also records every call made to it. */
export interface CountingRegistry extends SchemaRegistry {
  lookups: number[];
  registrations: string[];
}

export function countingRegistry(inner: SchemaRegistry): CountingRegistry {
  const lookups: number[] = [];
  const registrations: string[] = [];
  return {
    lookups,
    registrations,
    getSchemaById(id) {
      lookups.push(id);
      return inner.getSchemaById(id);
    },
    register(subject, schemaJson) {
      registrations.push(subject);
      return inner.register(subject, schemaJson);
    },
  };
}

export async function contractSetup(): Promise<{ schemas: SchemaSet; registry: CountingRegistry }> {
  const schemas = await loadSchemas(SCHEMA_DIR);
  return { schemas, registry: countingRegistry(createLocalSchemaRegistry(schemas)) };
}

/** A WMS version-1 RELEASED event in the replay format. */
export function wmsV1Value(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: '6f1c2a64-1f0e-4c55-9a55-1b2c3d4e5f60',
    event_type: 'PICKED',
    occurred_at: 1_795_000_100_000,
    warehouse_id: 'WH-SH-01',
    fulfillment_id: 'FF-1001-1',
    external_order_no: 'SO-1001',
    lines: [
      { sku: 'SKU-1', qty_ordered: 2, qty_picked: 2 },
      { sku: 'SKU-2', qty_ordered: 1, qty_picked: 0 },
    ],
    carrier_code: null,
    tracking_no: null,
    reason: null,
    ...overrides,
  };
}

/** A CRM order-lines change event in the replay format. */
export function orderLineValue(unitPrice = '89.00'): Record<string, unknown> {
  return {
    before: null,
    after: {
      order_id: 'SO-1001',
      line_no: 1,
      sku: 'SKU-BOTTLE-240',
      product_name: '宽口径奶瓶 240ml',
      quantity: 2,
      unit_price: unitPrice,
      updated_at: '2026-11-18T19:07:42.030+08:00',
    },
    source: {
      version: '2.7.3.Final',
      connector: 'postgresql',
      name: 'crm',
      ts_ms: 1_795_000_062_031,
      snapshot: null,
      db: 'crm',
      schema: 'public',
      table: 'order_lines',
      txId: 149,
      lsn: 1049,
    },
    op: 'c',
    ts_ms: 1_795_000_062_299,
  };
}

/** The OrderlakeError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<OrderlakeError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OrderlakeError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
