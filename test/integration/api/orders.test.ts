import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrder } from '../../../src/api/orders/order-lookup.js';
import { searchOrders, type OrderFilters } from '../../../src/api/orders/order-search.js';
import { normalizeIdentifier, normalizePhone } from '../../../src/api/orders/search-terms.js';
import type { GoldenView } from '../../../src/golden/index.js';
import { compareCodePoints, createGoldenStore } from '../../../src/golden/index.js';
import {
  GOLDEN_ENCODING,
  encodeJsonCompactRows,
  identifierSql,
  insertEncoded,
  phoneSql,
  queryJson,
  runMigrations,
  type GoldenRow,
} from '../../../src/sinks/index.js';
import {
  DELETED_ORDERS,
  TOKENS,
  bearer,
  expectedViews,
  fixtureLines,
  startApiHarness,
  withoutVolatile,
  type ApiHarness,
} from './support/api-harness.js';

const agent = bearer(TOKENS.agent);

describe('order routes over the real pipeline and chDB', () => {
  let h: ApiHarness;
  let expected: Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    h = await startApiHarness();
    expected = await expectedViews();
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = (url: string, headers: Record<string, string> = agent) => h.app.inject({ method: 'GET', url, headers });

  describe('GET /orders/{order_id}', () => {
    it('answers every order exactly as the contract expects, the same document memory holds', async () => {
      expect(expected.size).toBe(38);
      for (const [id, want] of expected) {
        const res = await get(`/orders/${encodeURIComponent(id)}`);
        expect(res.statusCode, id).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const body = res.json() as GoldenView;
        expect(body, id).toEqual(h.runtime.store.get(id));
        expect(withoutVolatile(body), id).toEqual(want);
      }
    });

    it('answers from ClickHouse for orders this worker does not hold in memory', async () => {
      const remote = await h.remoteApp();
      for (const id of [...expected.keys()].slice(0, 10)) {
        const res = await remote.inject({ method: 'GET', url: `/orders/${id}`, headers: agent });
        expect(res.statusCode, id).toBe(200);
        expect(res.json(), id).toEqual(h.runtime.store.get(id));
      }
      const gone = await remote.inject({ method: 'GET', url: `/orders/${DELETED_ORDERS[0]}`, headers: agent });
      expect(gone.statusCode).toBe(404);
    });

    it('answers 404 with a JSON error for unknown and deleted orders', async () => {
      for (const id of ['SO-NOPE', ...DELETED_ORDERS]) {
        const res = await get(`/orders/${id}`);
        expect(res.statusCode, id).toBe(404);
        expect(res.json()).toEqual({ error: 'OL_ERR_HTTP_NOT_FOUND', message: `no order ${id}` });
      }
    });

    it('finds an order by its id typed in lower case or padded with blanks, answering with the stored id', async () => {
      const remote = await h.remoteApp();
      for (const id of [...expected.keys()].slice(0, 5)) {
        for (const typed of [id.toLowerCase(), ` ${id} `, `\t${id.toLowerCase()}\n`, id.replace(/^SO/, 'So')]) {
          for (const app of [h.app, remote]) {
            const res = await app.inject({ method: 'GET', url: `/orders/${encodeURIComponent(typed)}`, headers: agent });
            expect(res.statusCode, JSON.stringify(typed)).toBe(200);
            expect(res.json().order_id).toBe(id);
          }
        }
        const withProvenance = await get(`/orders/${id.toLowerCase()}?include=provenance`);
        expect(withProvenance.statusCode).toBe(200);
        expect(withProvenance.json()).toEqual((await get(`/orders/${id}?include=provenance`)).json());
      }
      for (const typed of [DELETED_ORDERS[0]!.toLowerCase(), 'so-nope', '%20']) {
        expect((await get(`/orders/${typed}`)).statusCode, typed).toBe(404);
      }
    });

    it('rejects an unknown include or query parameter with a 400 that names it', async () => {
      const bad = await get('/orders/SO-000001?include=everything');
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({ error: 'OL_ERR_HTTP_BAD_REQUEST', message: 'querystring/include must be equal to one of the allowed values: provenance' });
      const extra = await get('/orders/SO-000001?inclde=provenance');
      expect(extra.statusCode).toBe(400);
      expect(extra.json().message).toMatch(/must NOT have additional properties \(inclde\)/);
    });
  });

  describe('GET /orders/{order_id}?include=provenance', () => {
    type Ref = { topic: string; partition: number; offset: string; line: number | null; event_time: string; event_uid: string };

    it('credits the CRM groups to the fixture line of the newest order image (row_version, then lsn)', async () => {
      const lines = await fixtureLines();
      for (const id of [...expected.keys()].filter((k) => expected.get(k)!.customer !== null)) {
        const res = await get(`/orders/${id}?include=provenance`);
        expect(res.statusCode).toBe(200);
        const body = res.json() as GoldenView & { provenance: Record<string, any> };
        expect(withoutVolatile({ ...body, provenance: undefined })).toEqual({ ...expected.get(id), provenance: undefined });
        const images = lines.filter((l) => l.topic === 'crm.public.orders' && l.value !== null && l.value.after?.order_id === id);
        const newest = images.reduce((a, b) => {
          const [va, vb] = [a.value!.after.row_version, b.value!.after.row_version];
          return vb > va || (vb === va && b.value!.source.lsn > a.value!.source.lsn) ? b : a;
        });
        const header = body.provenance.header as Ref;
        // A re-delivered image collapses into one lake row, so its line is any of the duplicates' lines.
        const credited = lines.find((l) => l.line === header.line)!;
        expect(credited.value!.source.lsn, id).toBe(newest.value!.source.lsn);
        expect(credited.value!.after).toEqual(newest.value!.after);
        expect(header.topic).toBe('crm.public.orders');
        expect(header.event_time).toBe(new Date(newest.value!.source.ts_ms).toISOString());
        for (const group of ['customer', 'ship_to', 'payment']) expect(body.provenance[group]).toEqual(header);
      }
    });

    it('credits each line, case, fulfillment and shipment of the view to a fixture line by the newest rules', async () => {
      const lines = await fixtureLines();
      const byLine = new Map(lines.map((l) => [l.line, l]));
      type Occurrence = { occurred_at: number; event_id: string };
      const later = (a: Occurrence, b: Occurrence) =>
        a.occurred_at > b.occurred_at || (a.occurred_at === b.occurred_at && compareCodePoints(a.event_id, b.event_id) > 0);
      let shipments = 0;
      for (const id of expected.keys()) {
        const body = (await get(`/orders/${id}?include=provenance`)).json() as GoldenView & { provenance: Record<string, any> };
        const p = body.provenance;
        expect(p.lines.map((l: { line_no: number }) => l.line_no)).toEqual(body.lines.map((l) => l.line_no));
        for (const entry of p.lines) {
          const source = byLine.get(entry.set_by.line)!;
          expect(source.topic).toBe('crm.public.order_lines');
          const candidates = lines.filter((l) => l.topic === 'crm.public.order_lines' && l.value?.after?.order_id === id && l.value.after.line_no === entry.line_no);
          expect(source.value!.source.lsn).toBe(Math.max(...candidates.map((c) => c.value!.source.lsn)));
        }
        expect(p.after_sales.map((c: { case_id: string }) => c.case_id)).toEqual(body.after_sales.map((c) => c.case_id));
        expect(p.fulfillments.map((f: { fulfillment_id: string }) => f.fulfillment_id)).toEqual(body.fulfillments.map((f) => f.fulfillment_id));
        for (const f of p.fulfillments) {
          const events = lines.filter((l) => l.topic === 'wms.fulfillment.events' && l.value?.fulfillment_id === f.fulfillment_id).map((l) => l.value as Occurrence);
          const newest = events.reduce((a, b) => (later(b, a) ? b : a));
          expect((byLine.get(f.set_by.line)!.value as Occurrence).event_id, f.fulfillment_id).toBe(newest.event_id);
          expect(f.set_by.event_uid).toBe(`wms|${newest.event_id}`);
        }
        expect(p.shipments.map((s: { tracking_no: string }) => s.tracking_no)).toEqual(body.shipments.map((s) => s.tracking_no));
        for (const s of p.shipments) {
          shipments++;
          const events = lines.filter((l) => l.topic === 'tms.tracking.events' && l.value?.tracking_no === s.tracking_no).map((l) => l.value as Occurrence);
          const newest = events.reduce((a, b) => (later(b, a) ? b : a));
          expect(s.set_by.event_uid, s.tracking_no).toBe(`tms|${newest.event_id}`);
          const view = body.shipments.find((x) => x.tracking_no === s.tracking_no)!;
          expect(s.delivered_by === null ? null : s.delivered_by.event_time).toBe(view.delivered_at);
        }
      }
      expect(shipments).toBeGreaterThan(20);
    });
  });

  describe('GET /orders (search)', () => {
    const live = () => [...expected.values()];
    const createdMs = (v: Record<string, unknown>) => (v.created_at === null ? null : Date.parse(String(v.created_at)));
    /** The page order the API promises: created_at descending, then order_id descending, unknown created_at last. */
    const pageOrder = (a: Record<string, unknown>, b: Record<string, unknown>) => {
      const [ca, cb] = [createdMs(a), createdMs(b)];
      if (ca === null || cb === null) return ca === cb ? -compareCodePoints(String(a.order_id), String(b.order_id)) : ca === null ? 1 : -1;
      return cb - ca || -compareCodePoints(String(a.order_id), String(b.order_id));
    };

    async function allPages(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url = `/orders?limit=${limit}${query}${cursor === null ? '' : `&cursor=${cursor}`}`;
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        const body = res.json() as { orders: GoldenView[]; next_cursor: string | null };
        expect(body.orders.length).toBeLessThanOrEqual(limit);
        ids.push(...body.orders.map((o) => o.order_id));
        cursor = body.next_cursor;
        pages++;
        expect(pages).toBeLessThan(100);
      } while (cursor !== null);
      return { ids, pages };
    }

    it('pages through every live order newest first, without duplicates or gaps', async () => {
      const want = live().sort(pageOrder).map((v) => String(v.order_id));
      for (const limit of [1, 7, 38, 500]) {
        const { ids, pages } = await allPages('', limit);
        expect(ids, `limit ${limit}`).toEqual(want);
        expect(new Set(ids).size).toBe(ids.length);
        expect(pages).toBe(Math.max(1, Math.ceil(want.length / limit)));
      }
      expect(want.slice(-3).every((id) => expected.get(id)!.created_at === null)).toBe(true);
    });

    it('defaults to 50 per page and returns full golden views', async () => {
      const body = (await get('/orders')).json() as { orders: GoldenView[]; next_cursor: string | null };
      expect(body.orders).toHaveLength(38);
      expect(body.next_cursor).toBeNull();
      for (const view of body.orders) expect(withoutVolatile(view)).toEqual(expected.get(view.order_id));
    });

    it('filters by customer, phone (customer or ship-to), tracking number, status, exception and channel', async () => {
      const views = live();
      const sample = views.find((v) => (v.exceptions as string[]).length > 0 && (v.shipments as unknown[]).length > 0)!;
      const customer = sample.customer as { id: string; phone: string };
      const shipTo = views.find((v) => v.ship_to !== null)!.ship_to as { phone: string };
      const tracking = (sample.shipments as Array<{ tracking_no: string }>)[0]!.tracking_no;
      const cases: Array<[string, (v: Record<string, any>) => boolean]> = [
        [`customer_id=${customer.id}`, (v) => v.customer?.id === customer.id],
        [`phone=${customer.phone}`, (v) => v.customer?.phone === customer.phone || v.ship_to?.phone === customer.phone],
        [`phone=${shipTo.phone}`, (v) => v.customer?.phone === shipTo.phone || v.ship_to?.phone === shipTo.phone],
        [`tracking_no=${tracking}`, (v) => v.shipments.some((s: any) => s.tracking_no === tracking) || v.fulfillments.some((f: any) => f.tracking_no === tracking)],
        ['status=DELIVERED', (v) => v.status === 'DELIVERED'],
        ['exception=LATE_DELIVERY', (v) => v.exceptions.includes('LATE_DELIVERY')],
        ['channel=POS', (v) => v.channel === 'POS'],
        ['status=DELIVERED&channel=POS', (v) => v.status === 'DELIVERED' && v.channel === 'POS'],
        ['customer_id=NOBODY', () => false],
      ];
      for (const [query, match] of cases) {
        const want = views.filter(match).sort(pageOrder).map((v) => v.order_id);
        const { ids } = await allPages(`&${query}`, 2);
        expect(ids, query).toEqual(want);
        if (!query.includes('NOBODY')) expect(want.length, query).toBeGreaterThan(0);
      }
    });

    it('finds an order by a phone in any formatting and by a tracking number or fulfillment id in any case', async () => {
      const views = live() as Array<Record<string, any>>;
      const sample = views.find((v) => (v.fulfillments as unknown[]).length > 0 && (v.shipments as unknown[]).length > 0 && v.customer !== null)!;
      const phone = (sample.customer as { phone: string }).phone;
      const tracking = (sample.shipments as Array<{ tracking_no: string }>)[0]!.tracking_no;
      const fulfillment = (sample.fulfillments as Array<{ fulfillment_id: string }>)[0]!.fulfillment_id;
      const [a, b, c] = [phone.slice(0, 3), phone.slice(3, 7), phone.slice(7)];
      const byPhone = views.filter((v) => v.customer?.phone === phone || v.ship_to?.phone === phone).sort(pageOrder).map((v) => v.order_id);
      const byTracking = views
        .filter((v) => (v.shipments as any[]).some((s) => s.tracking_no === tracking) || (v.fulfillments as any[]).some((f) => f.tracking_no === tracking))
        .sort(pageOrder)
        .map((v) => v.order_id);
      const byFulfillment = views.filter((v) => (v.fulfillments as any[]).some((f) => f.fulfillment_id === fulfillment)).sort(pageOrder).map((v) => v.order_id);
      expect(byPhone).toContain(sample.order_id);
      const cases: Array<[OrderFilters, unknown[]]> = [
        ...[`+86 ${a} ${b} ${c}`, `${a}-${b}-${c}`, `(${a}) ${b}.${c}`, `0086 ${a}${b}${c}`, `+86-${a}-${b}-${c}`, `+86${phone}`, ` ${phone} `].map(
          (typed): [OrderFilters, unknown[]] => [{ phone: typed }, byPhone],
        ),
        [{ tracking_no: tracking.toLowerCase() }, byTracking],
        [{ tracking_no: ` ${tracking} ` }, byTracking],
        [{ fulfillment_id: fulfillment }, byFulfillment],
        [{ fulfillment_id: fulfillment.toLowerCase() }, byFulfillment],
        [{ fulfillment_id: `${fulfillment.toLowerCase()}\t` }, byFulfillment],
        [{ phone: `+86 ${a} ${b} ${c}`, tracking_no: tracking.toLowerCase() }, byPhone.filter((id) => byTracking.includes(id))],
        [{ phone: '---' }, []],
        [{ phone: '+86' }, []],
        [{ tracking_no: '   ' }, []],
        [{ fulfillment_id: 'ff-nope' }, []],
      ];
      for (const [filters, want] of cases) {
        const { ids } = await allPages(`&${new URLSearchParams(filters as Record<string, string>).toString()}`, 2);
        expect(ids, JSON.stringify(filters)).toEqual(want);
      }
      expect(byFulfillment).toEqual([sample.order_id]);
    });

    it('leaves deleted orders out', async () => {
      const { ids } = await allPages('', 500);
      for (const id of DELETED_ORDERS) expect(ids).not.toContain(id);
    });

    it('answers 400 with what is wrong for bad parameters and foreign cursors', async () => {
      const cases: Array<[string, RegExp]> = [
        ['/orders?limit=0', /querystring\/limit must be >= 1/],
        ['/orders?limit=501', /querystring\/limit must be <= 500/],
        ['/orders?limit=ten', /querystring\/limit must be integer/],
        ['/orders?status=LOST', /querystring\/status must be equal to one of the allowed values: CREATED, PAID/],
        ['/orders?exception=OOPS', /querystring\/exception must be equal to one of the allowed values/],
        ['/orders?custmer_id=C-1', /must NOT have additional properties \(custmer_id\)/],
        ['/orders?phone=', /querystring\/phone must NOT have fewer than 1 characters/],
        ['/orders?cursor=not-a-cursor', /querystring\/cursor is not a cursor this API returned/],
        [`/orders?cursor=${Buffer.from('{"c":"x","o":1}').toString('base64url')}`, /cursor is not a cursor/],
      ];
      for (const [url, message] of cases) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error).toBe('OL_ERR_HTTP_BAD_REQUEST');
        expect(res.json().message, url).toMatch(message);
      }
    });
  });

  describe('search terms on the stored side', () => {
    const database = 'orderlake_api_test_terms';
    const client = () => h.runtime.storage.client;
    const target = () => ({ client: client(), database });
    const view = (orderId: string, fulfillmentId: string) => ({ order_id: orderId, fulfillments: [{ fulfillment_id: fulfillmentId }] });
    const row = (orderId: string, fields: Partial<GoldenRow> & { fulfillment_id: string }): GoldenRow => {
      const { fulfillment_id, ...rest } = fields;
      return {
        order_id: orderId, version: 1, updated_at: Date.now(), is_deleted: 0, owner_partition: 0, status: 'PAID', channel: 'TMALL', customer_id: 'C-1',
        customer_phone: null, ship_phone: null, tracking_nos: [], exceptions: [], created_at: Date.parse('2026-11-18T11:00:00Z'),
        view: view(orderId, fulfillment_id), ...rest,
      };
    };

    beforeAll(async () => {
      await runMigrations({ client: client(), database, logger: pino({ level: 'silent' }) });
      const rows = [
        row('SO-T-1', { customer_phone: '+86 155-2439-1640', ship_phone: '13010838288', tracking_nos: ['sf100200300'], fulfillment_id: 'ff-t-1' }),
        row('SO-T-2', { customer_phone: '13300000000', ship_phone: '(0086) 131.0000.0001', tracking_nos: ['YTO4018777113', 'zto0427773661'], fulfillment_id: 'FF-T-2' }),
        // Two orders whose ids differ only by case: each is its own order.
        row('so-case', { fulfillment_id: 'FF-CASE-LOWER' }),
        row('SO-CASE', { fulfillment_id: 'FF-CASE-UPPER' }),
      ];
      const body = await encodeJsonCompactRows(rows, GOLDEN_ENCODING.values);
      await insertEncoded(client(), { database, table: GOLDEN_ENCODING.table, columns: GOLDEN_ENCODING.columns, body });
    });
    afterAll(async () => {
      await client().command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
    });

    const found = async (filters: OrderFilters) =>
      ((await searchOrders(target(), filters, { limit: 10, after: null })).orders as Array<{ order_id: string }>).map((o) => o.order_id).sort();

    it('normalizes stored phones, tracking numbers and fulfillment ids in SQL as the typed ones are', async () => {
      const cases: Array<[OrderFilters, string[]]> = [
        [{ phone: '15524391640' }, ['SO-T-1']],
        [{ phone: '+86 155 2439 1640' }, ['SO-T-1']],
        [{ phone: '155-2439-1640' }, ['SO-T-1']],
        [{ phone: '13100000001' }, ['SO-T-2']],
        [{ phone: '+86 131 0000 0001' }, ['SO-T-2']],
        [{ tracking_no: 'SF100200300' }, ['SO-T-1']],
        [{ tracking_no: 'sf100200300' }, ['SO-T-1']],
        [{ tracking_no: 'ZTO0427773661' }, ['SO-T-2']],
        [{ tracking_no: 'yto4018777113' }, ['SO-T-2']],
        [{ fulfillment_id: 'FF-T-1' }, ['SO-T-1']],
        [{ fulfillment_id: 'ff-t-2' }, ['SO-T-2']],
        [{ phone: '1552439164' }, []],
      ];
      for (const [filters, want] of cases) expect(await found(filters), JSON.stringify(filters)).toEqual(want);
    });

    it('resolves a typed id exactly first, then trimmed, then in upper case: never a different order than the one named', async () => {
      const deps = { ...target(), store: createGoldenStore({ now: Date.now }) };
      const cases: Array<[string, string | null]> = [
        ['so-case', 'FF-CASE-LOWER'],
        ['SO-CASE', 'FF-CASE-UPPER'],
        [' so-case ', 'FF-CASE-LOWER'],
        ['So-Case', 'FF-CASE-UPPER'],
        ['so-t-1', 'ff-t-1'],
        ['sO-t-2 ', 'FF-T-2'],
        ['SO-T-3', null],
      ];
      for (const [typed, fulfillment] of cases) {
        const got = (await findOrder(deps, typed)) as unknown as ReturnType<typeof view> | null;
        expect(got === null ? null : got.fulfillments[0]!.fulfillment_id, typed).toBe(fulfillment);
      }
    });

    it('computes in SQL exactly what the TypeScript rules compute, on any ASCII text (property)', async () => {
      const text = fc.string({ unit: fc.constantFrom(...'0123456789+86 -().\t\n\r\v\fabcXYZ_'), maxLength: 24 });
      const inputs = fc.sample(text, { numRuns: 2000, seed: 20261118 });
      inputs.push('+86+86 155 2439 1640', '0086 0086', '(+86) 155', '021-8600-0086', '');
      // Stored identifiers are keys without surrounding blanks: the SQL side folds case only.
      const stored = inputs.map((s) => s.trim());
      const rows = await queryJson<{ phones: string[]; ids: string[] }>(
        client(),
        `SELECT arrayMap(s -> ${phoneSql('s')}, {inputs:Array(String)}) AS phones, arrayMap(s -> ${identifierSql('s')}, {stored:Array(String)}) AS ids`,
        { inputs, stored },
      );
      const { phones, ids } = rows[0]!;
      inputs.forEach((input, i) => {
        expect(phones[i], JSON.stringify(input)).toBe(normalizePhone(input));
        expect(ids[i], JSON.stringify(input)).toBe(normalizeIdentifier(input));
      });
    });
  });

  describe('GET /orders/{order_id}/timeline', () => {
    it('lists every distinct event of the order in event time, with position, arrival and lag', async () => {
      for (const [id, view] of expected) {
        const res = await get(`/orders/${id}/timeline`);
        expect(res.statusCode, id).toBe(200);
        const body = res.json() as { order_id: string; events: Array<Record<string, any>> };
        expect(body.order_id).toBe(id);
        const sources = view.sources as Record<string, { events: number } | null>;
        const distinct = ['crm', 'wms', 'tms'].reduce((n, s) => n + (sources[s]?.events ?? 0), 0);
        expect(body.events, id).toHaveLength(distinct);
        expect(new Set(body.events.map((e) => e.event_uid)).size).toBe(distinct);
        for (let i = 1; i < body.events.length; i++) {
          expect(Date.parse(body.events[i]!.event_time)).toBeGreaterThanOrEqual(Date.parse(body.events[i - 1]!.event_time));
        }
        for (const e of body.events) {
          expect(e.lag_ms).toBe(Date.parse(e.ingested_at) - Date.parse(e.event_time));
          expect(e.line).toBeGreaterThan(0);
          expect(['crm', 'wms', 'tms']).toContain(e.source);
          expect(e.summary.length).toBeGreaterThan(0);
        }
      }
    });

    it('summarizes events with their type, code or op, and positions them in the source', async () => {
      const lines = await fixtureLines();
      const id = [...expected.keys()].find((k) => (expected.get(k)!.shipments as unknown[]).length > 0)!;
      const events = ((await get(`/orders/${id}/timeline`)).json() as { events: Array<Record<string, any>> }).events;
      for (const e of events) {
        const source = lines.find((l) => l.line === e.line)!;
        expect(source.topic).toBe(e.topic);
        if (e.source === 'tms') expect(e.type).toBe(source.value!.event_code);
        if (e.source === 'wms') expect(e.type).toBe(source.value!.event_type);
        if (e.source === 'crm') expect(e.type).toBe(source.value!.op);
        expect(e.summary).toContain(e.source === 'crm' ? '' : e.type);
      }
      expect(new Set(events.map((e) => e.source))).toEqual(new Set(['crm', 'wms', 'tms']));
    });

    it('keeps the timeline of a deleted order, and answers 404 for an order never seen', async () => {
      const deleted = await get(`/orders/${DELETED_ORDERS[0]}/timeline`);
      expect(deleted.statusCode).toBe(200);
      expect((deleted.json() as { events: Array<{ type: string }> }).events.some((e) => e.type === 'd')).toBe(true);
      const unknown = await get('/orders/SO-NEVER/timeline');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error).toBe('OL_ERR_HTTP_NOT_FOUND');
    });
  });
});
