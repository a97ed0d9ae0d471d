import { describe, expect, it } from 'vitest';
import { createLocalRouter, createShipmentLinker } from '../../../src/golden/index.js';
import { HOUR, T0, tms, wms } from '../../helpers/golden-events.js';

describe('createLocalRouter', () => {
  it('forwards a tracking event once when both its tracking number and fulfillment are already linked', () => {
    const route = createLocalRouter(createShipmentLinker({ maxPending: 100, onOverflow: () => {} }));
    route(wms('SHIPPED', T0, { event_id: 'w1', tracking_no: 'SF1' }), 0);
    const routed = route(tms('PICKED_UP', T0 + HOUR, { event_id: 't1', order_ref: null, fulfillment_ref: 'FF-1-1' }), 0);
    expect(routed).toEqual([{ orderId: 'SO-1', event: expect.objectContaining({ event_id: 't1' }) }]);
  });

  it('forwards a waiting tracking event once when its link arrives', () => {
    const route = createLocalRouter(createShipmentLinker({ maxPending: 100, onOverflow: () => {} }));
    expect(route(tms('PICKED_UP', T0 + HOUR, { event_id: 't1', order_ref: null, fulfillment_ref: 'FF-1-1' }), 0)).toEqual([]);
    const routed = route(wms('SHIPPED', T0, { event_id: 'w1', tracking_no: 'SF1' }), 0);
    expect(routed.map((r) => [r.orderId, 'event_id' in r.event ? r.event.event_id : ''])).toEqual([
      ['SO-1', 'w1'],
      ['SO-1', 't1'],
    ]);
  });
});
