import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, bearer, startApiHarness, type ApiHarness } from './support/api-harness.js';

describe('GET /shipments/orphans', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists a tracking number whose events wait for their order, and drops it once linked', async () => {
    const topic = 'tms.tracking.events';
    const tracking = {
      event_id: 'TE-orphan-1',
      tracking_no: 'SF-ORPHAN-0001',
      carrier_code: 'SF',
      fulfillment_ref: null,
      order_ref: null,
      event_code: 'PICKED_UP',
      occurred_at: Date.UTC(2026, 10, 20, 8),
      location: '上海',
      eta: null,
      exception_code: null,
      signed_by: null,
    };
    const encoder = h.runtime.codec.encoder;
    await h.runtime.pipeline.process([
      { topic, partition: 0, offset: '9000', timestamp: Date.now(), key: await encoder.encodeKey(topic, tracking.tracking_no), value: await encoder.encode(topic, 'tms.tracking', tracking) },
    ]);

    const res = await h.app.inject({ method: 'GET', url: '/shipments/orphans', headers: bearer(TOKENS.agent) });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { orphan_after_ms: number; shipments: Array<{ tracking_no: string; waiting_ms: number; events: number }> };
    const orphan = body.shipments.find((s) => s.tracking_no === 'SF-ORPHAN-0001');
    expect(orphan).toMatchObject({ events: 1 });
    expect(orphan!.waiting_ms).toBeGreaterThanOrEqual(0);

    // The WMS shipment that carries the tracking number arrives: the shipment joins SO-000001.
    const wmsTopic = 'wms.fulfillment.events';
    const shipped = {
      event_id: '00000000-0000-4000-8000-00000000f001',
      event_type: 'SHIPPED',
      occurred_at: Date.UTC(2026, 10, 20, 7),
      warehouse_id: 'WH-SH-01',
      fulfillment_id: 'FF-000001-9',
      external_order_no: 'SO-000001',
      lines: [],
      carrier_code: 'SF',
      tracking_no: 'SF-ORPHAN-0001',
      reason: null,
    };
    await h.runtime.pipeline.process([
      { topic: wmsTopic, partition: 0, offset: '9001', timestamp: Date.now(), key: await encoder.encodeKey(wmsTopic, shipped.fulfillment_id), value: await encoder.encode(wmsTopic, 'wms.fulfillment.v1', shipped) },
    ]);
    const after = await h.app.inject({ method: 'GET', url: '/shipments/orphans', headers: bearer(TOKENS.agent) });
    expect((after.json() as { shipments: Array<{ tracking_no: string }> }).shipments.map((s) => s.tracking_no)).not.toContain('SF-ORPHAN-0001');
    const view = await h.app.inject({ method: 'GET', url: '/orders/SO-000001', headers: bearer(TOKENS.agent) });
    expect((view.json() as { shipments: Array<{ tracking_no: string }> }).shipments.map((s) => s.tracking_no)).toContain('SF-ORPHAN-0001');
  });

  it('needs a token with the agent role', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/shipments/orphans' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/shipments/orphans', headers: bearer(TOKENS.analyst) })).statusCode).toBe(403);
  });
});
