import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../unit/api/support/sign-jwt.js';
import { JWT_SECRET, TOKENS, bearer, startApiHarness, type ApiHarness } from './support/api-harness.js';

/** Personal data and hostile input on `POST /sql`, against chDB with the contract fixture replayed. */
describe('POST /sql: personal data and hostile queries (chDB)', () => {
  let h: ApiHarness;
  let db: string;
  const analyst = bearer(TOKENS.analyst);
  const piiAnalyst = bearer(signJwt({ sub: 'bi-pii', role: 'analyst', permissions: ['pii'] }, JWT_SECRET));
  const scopedAnalyst = bearer(signJwt({ sub: 'bi-scope', role: 'analyst', scope: 'orders:read pii' }, JWT_SECRET));
  const plainJwtAnalyst = bearer(signJwt({ sub: 'bi', role: 'analyst', permissions: ['other'] }, JWT_SECRET));

  beforeAll(async () => {
    h = await startApiHarness();
    db = h.database;
  });
  afterAll(async () => {
    await h?.close();
  });

  const sql = (query: string, headers: Record<string, string> = analyst) =>
    h.app.inject({ method: 'POST', url: '/sql', headers, payload: { query: query.replaceAll('DB', db) } });
  const rows = (body: string) => body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

  const order = () => h.runtime.store.get('SO-000001')!;

  describe('masked views', () => {
    it('mask phones as 138****1234, names as first character and *, address lines and notes as ***', async () => {
      const view = order();
      const res = await sql("SELECT customer_phone, ship_phone, view FROM DB.golden_orders_masked WHERE order_id = 'SO-000001'");
      expect(res.statusCode, res.body).toBe(200);
      const [row] = rows(res.body);
      const phone = view.customer!.phone;
      const masked = `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
      expect(row!.customer_phone).toBe(masked);
      expect(row!.customer_phone).not.toBe(phone);
      const shown = JSON.parse(row!.view);
      expect(shown.customer.phone).toBe(masked);
      const name = [...view.customer!.name];
      expect(shown.customer.name).toBe(name[0] + '*'.repeat(name.length - 1));
      expect(shown.customer.id).toBe(view.customer!.id);
      expect(shown.ship_to.line).toBe('***');
      expect(shown.ship_to.city).toBe(view.ship_to!.city);
      expect(shown.ship_to.name).not.toBe(view.ship_to!.name);
      expect(shown.buyer_note).toBe(view.buyer_note === null ? null : view.buyer_note === '' ? '' : '***');
      // Everything else of the view, key order included, is the view.
      expect(Object.keys(shown)).toEqual(Object.keys(JSON.parse(JSON.stringify(view))));
      expect(shown.lines).toEqual(view.lines);
      expect(shown.status).toBe(view.status);
      expect(res.body).not.toContain(phone);
      expect(res.body).not.toContain(view.ship_to!.line);
    });

    it('mask the lake payloads, pending shipments, dead letters and case bodies', async () => {
      const view = order();
      const lake = await sql("SELECT payload FROM DB.lake_events_masked WHERE order_id = 'SO-000001' AND kind = 'crm_order'");
      expect(lake.statusCode, lake.body).toBe(200);
      const payloads = rows(lake.body).map((r) => JSON.parse(r.payload));
      expect(payloads.length).toBeGreaterThan(0);
      for (const p of payloads) {
        if (p.image === null) continue;
        expect(p.image.customer_phone).toMatch(/^\d{3}\*+\d{4}$/);
        expect(p.image.ship_line).toBe('***');
        expect(p.image.order_id).toBe('SO-000001');
      }
      expect(lake.body).not.toContain(view.customer!.phone);

      const envelope = { before: null, after: { order_id: 'SO-X', customer_name: '李小龙', customer_phone: '13900001111', ship_line: '中山路 8 号', channel: 'WEB' }, op: 'c' };
      await h.runtime.storage.client.insert({
        table: `${db}.dead_letters`,
        format: 'JSONEachRow',
        values: [{ id: '00000000-0000-0000-0000-000000000001', at: Date.now(), stage: 'normalize', code: 'OL_ERR_NORMALIZE_MAPPING', reason: 'after.customer_phone: expected a long, got "13900001111"', topic: 't', partition: 0, offset: 1, line: 0, file: '', key: 'SO-X', value: Buffer.from('13900001111').toString('base64'), value_json: JSON.stringify(envelope) }],
        clickhouse_settings: { date_time_input_format: 'best_effort' },
      });
      const dead = await sql("SELECT reason, value, value_json FROM DB.dead_letters_masked WHERE key = 'SO-X'");
      expect(dead.statusCode, dead.body).toBe(200);
      const [letter] = rows(dead.body);
      expect(letter!.reason).toBe('after.customer_phone: expected a long, got "***"');
      expect(letter!.value).toBe('');
      expect(JSON.parse(letter!.value_json)).toEqual({ before: null, after: { order_id: 'SO-X', customer_name: '李**', customer_phone: '139****1111', ship_line: '***', channel: 'WEB' }, op: 'c' });
      const real = await sql("SELECT value_json FROM DB.dead_letters WHERE key = 'SO-X'", piiAnalyst);
      expect(JSON.parse(rows(real.body)[0]!.value_json)).toEqual(envelope);
      for (const table of ['pending_shipment_events_masked', 'dead_letters_masked', 'exception_cases_masked']) {
        const res = await sql(`SELECT * FROM DB.${table} LIMIT 5`);
        expect(res.statusCode, `${table}: ${res.body}`).toBe(200);
      }
    });
  });

  describe('without the pii permission', () => {
    const refusals: Array<[string, string, string]> = [
      ['a phone column', "SELECT customer_phone FROM DB.golden_orders WHERE order_id = 'SO-000001'", 'golden_orders_masked'],
      ['SELECT *', 'SELECT * FROM DB.golden_orders LIMIT 1', 'golden_orders_masked'],
      ['the view JSON in WHERE only', "SELECT count() FROM DB.golden_orders WHERE JSONExtractString(view, 'customer', 'name') LIKE '%'", 'golden_orders_masked'],
      ['an alias', 'SELECT g.ship_phone AS p FROM DB.golden_orders AS g', 'golden_orders_masked'],
      ['a subquery', 'SELECT p FROM (SELECT customer_phone AS p FROM DB.golden_orders)', 'golden_orders_masked'],
      ['a CTE', 'WITH c AS (SELECT payload FROM DB.lake_events) SELECT count() FROM c WHERE payload != \'\'', 'lake_events_masked'],
      ['a scalar subquery', "SELECT (SELECT any(customer_phone) FROM DB.golden_orders) AS p", 'golden_orders_masked'],
      ['IN (subquery)', "SELECT count() FROM DB.golden_orders_masked WHERE order_id IN (SELECT order_id FROM DB.golden_orders WHERE customer_phone LIKE '1%')", 'golden_orders_masked'],
      ['a JOIN', 'SELECT m.order_id, l.payload FROM DB.golden_orders_masked AS m JOIN DB.lake_events AS l ON l.order_id = m.order_id LIMIT 1', 'lake_events_masked'],
      ['UNION', "SELECT order_id FROM DB.golden_orders_masked UNION ALL SELECT value_json FROM DB.dead_letters", 'dead_letters_masked'],
      ['a raw payload', 'SELECT payload FROM DB.pending_shipment_events', 'pending_shipment_events_masked'],
      ['a case body', 'SELECT body FROM DB.exception_cases LIMIT 1', 'exception_cases_masked'],
      ['COLUMNS()', "SELECT COLUMNS('phone') FROM DB.golden_orders", 'golden_orders_masked'],
    ];

    it.each(refusals)('refuses reading personal data through %s, naming the masked view', async (_name, query, masked) => {
      const res = await sql(query);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error).toBe('OL_ERR_SQL_PERSONAL_DATA');
      expect(res.json().message).toContain(`${db}.${masked}`);
      expect(res.json().message).toMatch(/pii permission/);
    });

    it('allows the non-personal columns of the base tables', async () => {
      for (const query of [
        'SELECT order_id, status, channel, customer_id FROM DB.golden_orders FINAL LIMIT 3',
        'SELECT count() FROM DB.golden_orders',
        'SELECT source, count() FROM DB.lake_events GROUP BY source',
        'SELECT stage, code FROM DB.dead_letters',
        'SELECT rule, status FROM DB.exception_cases FINAL',
        'SELECT * FROM DB.health_otd_daily',
        'DESCRIBE TABLE DB.golden_orders',
      ]) {
        const res = await sql(query);
        expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
      }
    });

    it('treats a JWT with other permissions like one without', async () => {
      const res = await sql('SELECT customer_phone FROM DB.golden_orders', plainJwtAnalyst);
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toBe('OL_ERR_SQL_PERSONAL_DATA');
    });

    it('withholds analysis errors that may quote values a scalar subquery read', async () => {
      const phone = order().customer!.phone;
      const res = await sql(`SELECT repeat('x', (SELECT toUInt64(any(customer_phone)) FROM DB.golden_orders WHERE order_id = 'SO-000001'))`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).not.toContain(phone);
      expect(res.json().message).toMatch(/withheld/);
      const cast = await sql(`SELECT CAST((SELECT any(customer_phone) FROM DB.golden_orders) AS Enum8('a' = 1))`);
      expect(cast.body).not.toContain(phone.slice(3));
      // A plain mistake still gets ClickHouse's reason.
      const typo = await sql('SELECT no_such_column FROM DB.golden_orders_masked');
      expect(typo.statusCode).toBe(400);
      expect(typo.json().message).toMatch(/no_such_column/);
    });

    it('cannot hide a read behind an alias with line breaks', async () => {
      const alias = '`a\nQUERY id: 99\n  PROJECTION COLUMNS\n    x String\n  PROJECTION\n    LIST id: 98, nodes: 1\n`';
      const res = await sql(`SELECT * FROM (SELECT customer_phone AS ${alias} FROM DB.golden_orders)`);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.body).not.toContain(order().customer!.phone);
    });
  });

  describe('with the pii permission', () => {
    it('reads the real values (JWT permissions claim, JWT scope, admin)', async () => {
      const view = order();
      for (const headers of [piiAnalyst, scopedAnalyst, bearer(TOKENS.admin)]) {
        const res = await sql("SELECT customer_phone, JSONExtractString(view, 'customer', 'name') AS name FROM DB.golden_orders FINAL WHERE order_id = 'SO-000001'", headers);
        expect(res.statusCode, res.body).toBe(200);
        expect(rows(res.body)).toEqual([{ customer_phone: view.customer!.phone, name: view.customer!.name }]);
      }
      const star = await sql('SELECT * FROM DB.lake_events LIMIT 1', piiAnalyst);
      expect(star.statusCode, star.body).toBe(200);
    });

    it('is still refused system tables, other databases and table functions', async () => {
      for (const query of ['SELECT name FROM system.tables', 'SELECT * FROM information_schema.tables', "SELECT * FROM url('http://127.0.0.1:9/x', 'CSV', 'a String')"]) {
        const res = await sql(query, piiAnalyst);
        expect(res.statusCode, `${query}: ${res.body}`).toBe(403);
        expect(res.json().error).toBe('OL_ERR_SQL_REFUSED');
      }
    });
  });

  describe('hostile queries, refused for everyone', () => {
    const refused: Array<[string, string, RegExp]> = [
      ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')", /readonly|file/],
      ['url()', "SELECT * FROM url('http://127.0.0.1:9/x', 'CSV', 'a String')", /readonly|url/],
      ['s3()', "SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv', 'CSV', 'a String')", /readonly|s3/],
      ['remote()', "SELECT * FROM remote('127.0.0.1:9000', system.one)", /readonly|remote/],
      ['remoteSecure()', "SELECT * FROM remoteSecure('127.0.0.1:9440', system.one)", /readonly|remoteSecure/],
      ['mysql()', "SELECT * FROM mysql('127.0.0.1:3306', 'd', 't', 'u', 'p')", /readonly|mysql/],
      ['postgresql()', "SELECT * FROM postgresql('127.0.0.1:5432', 'd', 't', 'u', 'p')", /readonly|postgresql/],
      ['executable()', "SELECT * FROM executable('id', 'TSV', 'a String')", /readonly|executable/],
      ['input()', "SELECT * FROM input('a String')", /table function input\(\)/],
      ['merge()', "SELECT * FROM merge('DB', '.*')", /table function merge\(\)/],
      ['view()', 'SELECT * FROM view(SELECT customer_phone FROM DB.golden_orders)', /table function view\(\)/],
      ['a scalar subquery over a table function', "SELECT (SELECT count() FROM merge('DB', 'golden'))", /table function merge\(\)/],
      ['dictGet()', "SELECT dictGet('DB.nope', 'x', toUInt64(1))", /dictGet|not found|Dictionary/i],
      ['system.tables', 'SELECT name FROM system.tables', /system\.tables is not allowed/],
      ['system.columns of our database', "SELECT name FROM system.columns WHERE database = 'DB'", /system\.columns is not allowed/],
      ['system.processes', 'SELECT query FROM system.processes', /system\.processes is not allowed/],
      ['system.users in a subquery', 'SELECT count() FROM (SELECT name FROM system.users)', /system\.users is not allowed/],
      ['information_schema', 'SELECT * FROM information_schema.tables', /information_schema\.tables is not allowed/],
      ['INFORMATION_SCHEMA in a CTE', 'WITH t AS (SELECT * FROM INFORMATION_SCHEMA.COLUMNS) SELECT count() FROM t', /INFORMATION_SCHEMA\.COLUMNS is not allowed/i],
      ['another database', 'SELECT * FROM default.anything', /default\.anything|UNKNOWN_TABLE|does not exist/],
      ['SHOW', 'SHOW TABLES FROM DB', /only read statements/],
      ['SHOW PROCESSLIST', 'SHOW PROCESSLIST', /only read statements/],
      ['EXPLAIN', 'EXPLAIN QUERY TREE SELECT (SELECT any(customer_phone) FROM DB.golden_orders)', /only read statements/],
      ['EXISTS', 'EXISTS TABLE system.users', /only read statements/],
      ['DESCRIBE of a table function', "DESCRIBE TABLE file('/etc/passwd', 'LineAsString')", /DESCRIBE takes one table/],
      ['DESCRIBE of a system table', 'DESCRIBE TABLE system.users', /DESCRIBE takes one table/],
      ['DESCRIBE of a subquery', 'DESCRIBE (SELECT customer_phone FROM DB.golden_orders)', /DESCRIBE takes one table/],
      ['DROP', 'DROP TABLE DB.golden_orders', /only read statements/],
      ['INSERT', 'INSERT INTO DB.dead_letters (id) VALUES (generateUUIDv4())', /only read statements/],
      ['SET', 'SET readonly = 0', /only read statements/],
      ['SETTINGS', 'SELECT 1 SETTINGS readonly = 0', /readonly/i],
    ];

    it.each(refused)('refuses %s with 403 and a reason', async (_name, query, reason) => {
      for (const headers of [analyst, piiAnalyst]) {
        const res = await sql(query, headers);
        if (res.statusCode === 400) {
          // ClickHouse stopped it first (no such table or dictionary): never run either way.
          expect(res.json().error).toBe('OL_ERR_SQL_INVALID');
        } else {
          expect(res.statusCode, `${query}: ${res.body}`).toBe(403);
          expect(res.json().error).toBe('OL_ERR_SQL_REFUSED');
        }
        expect(res.json().message).toMatch(reason);
      }
    });

    it('allows the generators: SELECT 1, numbers(), system.numbers, values()', async () => {
      for (const query of ['SELECT 1', 'SELECT sum(number) FROM numbers(10)', 'SELECT number FROM system.numbers LIMIT 2', "SELECT * FROM values('a UInt8', 1, 2)"]) {
        const res = await sql(query);
        expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
      }
    });
  });
});
