import { describe, expect, it } from 'vitest';
import { crmCase, crmLine, crmOrder, crmOrderDelete, DAY, HOUR, iso, MINUTE, T0, tms, wms } from '../../helpers/golden-events.js';
import { mustView, viewOf } from '../../helpers/golden-derive.js';

describe('CRM order row', () => {
  it('takes header, customer, address and payment from the newest row by row_version', () => {
    const v1 = crmOrder({ row_version: 1, channel: 'WEB' });
    const v2 = crmOrder({ row_version: 2, channel: 'APP', status: 'PAID', paid_at: T0 + MINUTE, updated_at: T0 + MINUTE });
    for (const events of [[v1, v2], [v2, v1]]) {
      const view = mustView(events);
      expect(view.channel).toBe('APP');
      expect(view.payment).toEqual({ status: 'PAID', paid_at: iso(T0 + MINUTE) });
      expect(view.paid_at).toBe(iso(T0 + MINUTE));
    }
  });

  it('orders by row_version before lsn: a higher row_version with a lower lsn still wins', () => {
    const newer = crmOrder({ row_version: 3, buyer_note: 'newer' }, { lsn: 10 });
    const older = crmOrder({ row_version: 2, buyer_note: 'older' }, { lsn: 99 });
    expect(mustView([newer, older]).buyer_note).toBe('newer');
    expect(mustView([older, newer]).buyer_note).toBe('newer');
  });

  it('breaks a row_version tie by lsn', () => {
    const a = crmOrder({ row_version: 2, buyer_note: 'a' }, { lsn: 50, op: 'u' });
    const b = crmOrder({ row_version: 2, buyer_note: 'b' }, { lsn: 51, op: 'r' });
    expect(mustView([b, a]).buyer_note).toBe('b');
    expect(mustView([a, b]).buyer_note).toBe('b');
  });

  it('renders every header field of the newest row', () => {
    const view = mustView([
      crmOrder({
        row_version: 1,
        gift_order: true,
        buyer_note: '请放快递柜',
        member_tier: null,
        ship_district: '南山区',
        ship_postcode: null,
        total_amount: '0.50',
      }),
    ]);
    expect(view).toMatchObject({
      order_id: 'SO-1',
      channel: 'WEB',
      currency: 'CNY',
      gift_order: true,
      buyer_note: '请放快递柜',
      customer: { id: 'C-1', name: '刘洋', phone: '13900000000', member_tier: null },
      ship_to: {
        name: '王芳',
        phone: '13700000000',
        province: '广东省',
        city: '深圳市',
        district: '南山区',
        line: '世纪大道1号',
        postcode: null,
      },
      total_amount: '0.50',
      payment: { status: 'UNPAID', paid_at: null },
      created_at: iso(T0),
      paid_at: null,
      promised_delivery_at: iso(T0 + 3 * DAY),
      status: 'CREATED',
    });
  });
});

describe('partial views', () => {
  it('builds a partial view from events that arrive before the CRM row', () => {
    const view = mustView([crmLine({ line_no: 1 }, { lsn: 5 }), wms('RELEASED', T0 + HOUR, { event_id: 'w1' })]);
    expect(view).toMatchObject({
      channel: null,
      currency: null,
      gift_order: null,
      buyer_note: null,
      customer: null,
      ship_to: null,
      total_amount: null,
      payment: null,
      created_at: null,
      paid_at: null,
      promised_delivery_at: null,
      cancelled_at: null,
      address_changes: 0,
      status: 'RELEASED',
    });
    expect(view.lines).toHaveLength(1);
    expect(view.fulfillments).toHaveLength(1);
  });

  it('has status null while neither the CRM row nor a fulfillment is known', () => {
    expect(mustView([crmCase({ case_id: 'AS-1', status: 'REJECTED' }, { lsn: 3 })]).status).toBeNull();
  });

  it('is completed by the CRM row', () => {
    const line = crmLine({ line_no: 1 }, { lsn: 5 });
    const view = mustView([line, crmOrder({ status: 'PAID', paid_at: T0 })]);
    expect(view.channel).toBe('WEB');
    expect(view.status).toBe('PAID');
  });

  it('makes an order known from a TMS event naming it', () => {
    const view = mustView([tms('PICKED_UP', T0, { event_id: 't1' })]);
    expect(view.shipments).toHaveLength(1);
    expect(view.shipped_at).toBe(iso(T0));
    expect(view.status).toBeNull();
  });

  it('has no view at all before any event', () => {
    expect(viewOf([])).toBeNull();
  });
});

describe('address_changes', () => {
  const addr = (row_version: number, ship_line: string, extra = {}) =>
    crmOrder({ row_version, ship_line, updated_at: T0 + row_version * MINUTE, ...extra });

  it('counts images whose address differs from the image before them, in row-version order', () => {
    const events = [addr(1, 'A'), addr(2, 'A'), addr(3, 'B'), addr(4, 'B'), addr(5, 'A')];
    expect(mustView(events).address_changes).toBe(2);
    expect(mustView([...events].reverse()).address_changes).toBe(2);
  });

  it('looks at all seven ship_* columns, nulls included', () => {
    const events = [
      addr(1, 'A'),
      addr(2, 'A', { ship_district: '南山区' }),
      addr(3, 'A', { ship_district: '南山区', ship_postcode: null }),
      addr(4, 'A', { ship_district: '南山区', ship_postcode: null, ship_name: '李娜' }),
    ];
    expect(mustView(events).address_changes).toBe(3);
  });

  it('ignores columns that are not part of the address', () => {
    expect(mustView([addr(1, 'A'), addr(2, 'A', { customer_phone: '1', buyer_note: 'x' })]).address_changes).toBe(0);
  });

  it('counts against the neighbour in row-version order, not arrival order', () => {
    // arrival A(v1), A(v3), then late B(v2): v2 differs from v1 and v3 differs from v2
    expect(mustView([addr(1, 'A'), addr(3, 'A'), addr(2, 'B')]).address_changes).toBe(2);
  });

  it('is 0 for a single image and for a partial view', () => {
    expect(mustView([addr(1, 'A')]).address_changes).toBe(0);
    expect(mustView([crmLine({ line_no: 1 }, { lsn: 1 })]).address_changes).toBe(0);
  });
});

describe('cancelled_at', () => {
  const row = (row_version: number, status: string) =>
    crmOrder({ row_version, status, updated_at: T0 + row_version * HOUR });

  it('is the updated_at of the first image of the last unbroken CANCELLED run', () => {
    const events = [row(1, 'CREATED'), row(2, 'CANCELLED'), row(3, 'PAID'), row(4, 'CANCELLED'), row(5, 'CANCELLED')];
    expect(mustView(events).cancelled_at).toBe(iso(T0 + 4 * HOUR));
    expect(mustView([...events].reverse()).cancelled_at).toBe(iso(T0 + 4 * HOUR));
  });

  it('is null while the newest row is not CANCELLED', () => {
    expect(mustView([row(1, 'CANCELLED'), row(2, 'PAID')]).cancelled_at).toBeNull();
  });

  it('starts the run at the very first image when every image is CANCELLED', () => {
    expect(mustView([row(2, 'CANCELLED'), row(1, 'CANCELLED')]).cancelled_at).toBe(iso(T0 + HOUR));
  });

  it('moves when a late older CANCELLED image extends the run backwards', () => {
    const events = [row(1, 'CREATED'), row(3, 'CANCELLED')];
    expect(mustView(events).cancelled_at).toBe(iso(T0 + 3 * HOUR));
    expect(mustView([...events, row(2, 'CANCELLED')]).cancelled_at).toBe(iso(T0 + 2 * HOUR));
  });
});

describe('lines and after-sales cases', () => {
  it('lists lines by line_no with the highest-lsn image of each', () => {
    const view = mustView([
      crmLine({ line_no: 10, sku: 'S10' }, { lsn: 3 }),
      crmLine({ line_no: 2, quantity: 5 }, { lsn: 9, op: 'u' }),
      crmLine({ line_no: 2, quantity: 1 }, { lsn: 4 }),
    ]);
    expect(view.lines.map((l) => [l.line_no, l.quantity])).toEqual([
      [2, 5],
      [10, 1],
    ]);
    expect(view.lines[0]).toEqual({ line_no: 2, sku: 'SKU-1', name: '奶瓶', quantity: 5, unit_price: '89.00' });
  });

  it('removes a deleted line, whatever the arrival order', () => {
    const create = crmLine({ line_no: 1 }, { lsn: 3 });
    const del = crmLine({ line_no: 1 }, { lsn: 7, op: 'd' });
    expect(mustView([create, del]).lines).toEqual([]);
    expect(mustView([del, create]).lines).toEqual([]);
  });

  it('keeps a line whose image has a higher lsn than its delete', () => {
    const del = crmLine({ line_no: 1 }, { lsn: 7, op: 'd' });
    const recreate = crmLine({ line_no: 1, sku: 'NEW' }, { lsn: 8 });
    expect(mustView([recreate, del]).lines.map((l) => l.sku)).toEqual(['NEW']);
    expect(mustView([del, recreate]).lines.map((l) => l.sku)).toEqual(['NEW']);
  });

  it('sorts cases by case_id and drops deleted ones unless re-imaged with a higher lsn', () => {
    const view = mustView([
      crmCase({ case_id: 'AS-2', status: 'REJECTED' }, { lsn: 20 }),
      crmCase({ case_id: 'AS-10', status: 'REJECTED' }, { lsn: 21 }),
      crmCase({ case_id: 'AS-3', status: 'REJECTED' }, { lsn: 22 }),
      crmCase({ case_id: 'AS-3' }, { lsn: 23, op: 'd' }),
      crmCase({ case_id: 'AS-4' }, { lsn: 24, op: 'd' }),
      crmCase({ case_id: 'AS-4', status: 'CLOSED' }, { lsn: 25, op: 'u' }),
    ]);
    expect(view.after_sales.map((c) => c.case_id)).toEqual(['AS-10', 'AS-2', 'AS-4']);
    expect(view.after_sales[2]).toEqual({
      case_id: 'AS-4',
      case_type: 'RETURN',
      status: 'CLOSED',
      sku: 'SKU-1',
      quantity: 1,
      refund_amount: null,
      replacement_sku: null,
    });
  });

  it('keeps the newest case image by lsn', () => {
    const view = mustView([
      crmCase({ case_id: 'AS-1', status: 'REFUNDED', refund_amount: '10.00' }, { lsn: 30, op: 'u' }),
      crmCase({ case_id: 'AS-1', status: 'REQUESTED' }, { lsn: 12 }),
    ]);
    expect(view.after_sales[0]?.status).toBe('REFUNDED');
  });
});

describe('order deletes', () => {
  const del = crmOrderDelete('SO-1', 5000, T0 + DAY, 2);

  it('leaves no view when the delete comes last', () => {
    expect(viewOf([crmOrder(), crmLine({ line_no: 1 }, { lsn: 1 }), del])).toBeNull();
  });

  it('leaves no view when the delete comes first, even with a higher-lsn image after it', () => {
    const later = crmOrder({ row_version: 3 }, { lsn: 9000 });
    expect(viewOf([del, crmOrder(), later, wms('RELEASED', T0, { event_id: 'w' })])).toBeNull();
  });
});

describe('sources.crm', () => {
  it('counts distinct CRM events over the three tables, deletes and late older images included', () => {
    const v2 = crmOrder({ row_version: 2, updated_at: T0 + HOUR }, { ts_ms: T0 + 2 * HOUR });
    const v1 = crmOrder({ row_version: 1 }, { ts_ms: T0 + 5 * HOUR });
    const events = [
      v2,
      v1,
      v1,
      crmLine({ line_no: 1 }, { lsn: 1, ts_ms: T0 }),
      crmLine({ line_no: 1 }, { lsn: 2, op: 'd', ts_ms: T0 }),
      crmCase({ case_id: 'AS-1', status: 'REJECTED' }, { lsn: 3, ts_ms: T0 }),
      crmCase({ case_id: 'AS-1', status: 'REJECTED' }, { lsn: 3, ts_ms: T0 }),
    ];
    expect(mustView(events).sources).toEqual({ crm: { last_event_at: iso(T0 + 5 * HOUR), events: 5 }, wms: null, tms: null });
  });

  it('tells apart CRM events of different tables that share an lsn', () => {
    const view = mustView([crmOrder({}, { lsn: 7 }), crmLine({ line_no: 1 }, { lsn: 7 }), crmLine({ line_no: 2 }, { lsn: 7 })]);
    expect(view.sources.crm?.events).toBe(3);
  });
});
