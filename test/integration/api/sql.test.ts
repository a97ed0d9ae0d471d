import { access } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETED_ORDERS, TOKENS, bearer, startApiHarness, type ApiHarness } from './support/api-harness.js';

const MAX_ROWS = 25;
const analyst = bearer(TOKENS.analyst);

describe('POST /sql over chDB', () => {
  let h: ApiHarness;
  let db: string;

  beforeAll(async () => {
    h = await startApiHarness({ maxResultRows: MAX_ROWS, maxExecutionSeconds: 1 });
    db = h.database;
  });
  afterAll(async () => {
    await h?.close();
  });

  const sql = (body: unknown, headers: Record<string, string> = analyst) => h.app.inject({ method: 'POST', url: '/sql', headers, payload: body as object });

  it('answers JSONEachRow as NDJSON, one object per line', async () => {
    const res = await sql({ query: `SELECT order_id, status FROM ${db}.golden_orders FINAL WHERE is_deleted = 0 ORDER BY order_id LIMIT 3` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const rows = res.body.trim().split('\n').map((l) => JSON.parse(l) as { order_id: string; status: string | null });
    expect(rows.map((r) => r.order_id)).toEqual(['SO-000001', 'SO-000002', 'SO-000003']);
    expect(rows[0]).toEqual({ order_id: 'SO-000001', status: h.runtime.store.get('SO-000001')!.status });
  });

  it('answers CSV with a header row', async () => {
    const res = await sql({ query: `SELECT order_id, channel FROM ${db}.golden_orders FINAL WHERE order_id IN ('SO-000001', 'SO-000002') ORDER BY order_id`, format: 'CSV' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = res.body.trim().split('\n');
    expect(header).toBe('"order_id","channel"');
    expect(rows).toEqual(['SO-000001', 'SO-000002'].map((id) => `"${id}","${h.runtime.store.get(id)!.channel}"`));
  });

  it('reads every orderlake table without personal data: live and deleted orders, the lake, dead letters', async () => {
    const counts = await sql({
      query: `SELECT
        (SELECT count() FROM ${db}.golden_orders FINAL WHERE is_deleted = 0) AS live,
        (SELECT count() FROM ${db}.golden_orders FINAL WHERE is_deleted = 1) AS deleted,
        (SELECT uniqExact(event_uid) FROM ${db}.lake_events) AS events,
        (SELECT count() FROM ${db}.dead_letters) AS dead_letters`,
    });
    expect(counts.statusCode, counts.body).toBe(200);
    const row = JSON.parse(counts.body) as Record<string, number | string>;
    expect(Number(row.live)).toBe(38);
    expect(Number(row.events)).toBeGreaterThan(500);
    expect(Number(row.dead_letters)).toBe(0);
    const gone = await sql({ query: `SELECT count() AS n FROM ${db}.lake_events FINAL WHERE order_id = '${DELETED_ORDERS[0]}'` });
    expect(Number(JSON.parse(gone.body).n)).toBeGreaterThan(0);
  });

  describe('read-only enforcement', () => {
    const refused: Array<[string, string]> = [
      ['INSERT', `INSERT INTO ${'DB'}.dead_letters (id) VALUES (generateUUIDv4())`],
      ['INSERT SELECT', `INSERT INTO DB.golden_orders SELECT * FROM DB.golden_orders`],
      ['DROP', 'DROP TABLE DB.golden_orders'],
      ['CREATE', 'CREATE TABLE DB.evil (n UInt8) ENGINE = Memory'],
      ['ALTER', 'ALTER TABLE DB.golden_orders DELETE WHERE 1'],
      ['TRUNCATE', 'TRUNCATE TABLE DB.lake_events'],
      ['SET', 'SET readonly = 0'],
      ['KILL', 'KILL QUERY WHERE 1'],
      ['SYSTEM', 'SYSTEM DROP MARK CACHE'],
      ['SETTINGS readonly=0', 'SELECT count() FROM DB.golden_orders SETTINGS readonly = 0'],
      ['SETTINGS max_result_rows', 'SELECT number FROM system.numbers LIMIT 100 SETTINGS max_result_rows = 1000'],
      ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
      ['INTO OUTFILE', "SELECT 1 INTO OUTFILE '@file@'"],
      ['comment-hidden INTO OUTFILE', "SELECT 1 -- it's fine\n INTO OUTFILE '@file@'"],
    ];

    it('refuses writes, DDL, settings changes, KILL, SYSTEM, file access and INTO OUTFILE with 403', async () => {
      const outFile = path.join(h.dataDir, 'analyst-out.csv');
      for (const [name, template] of refused) {
        const res = await sql({ query: template.replaceAll('DB', db).replaceAll('@file@', outFile) });
        expect(res.statusCode, `${name}: ${res.body}`).toBe(403);
        expect(res.json().error, name).toBe('OL_ERR_SQL_REFUSED');
      }
      await expect(access(outFile)).rejects.toThrow();
      const live = await sql({ query: `SELECT count() AS n FROM ${db}.golden_orders FINAL WHERE is_deleted = 0` });
      expect(Number(JSON.parse(live.body).n)).toBe(38);
    });

    it('is enforced by ClickHouse itself: the same settings make chDB refuse writes, DDL and setting changes', async () => {
      const settings = { max_execution_time: 1, max_result_rows: String(MAX_ROWS), result_overflow_mode: 'throw', readonly: '1' } as const;
      const client = h.openSqlClient();
      for (const statement of [
        `INSERT INTO ${db}.dead_letters (id) VALUES (generateUUIDv4())`,
        `DROP TABLE ${db}.golden_orders`,
        `CREATE TABLE ${db}.evil (n UInt8) ENGINE = Memory`,
        `ALTER TABLE ${db}.golden_orders DELETE WHERE 1`,
        `SELECT count() FROM ${db}.golden_orders SETTINGS readonly = 0`,
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      ]) {
        await expect(client.command({ query: statement, clickhouse_settings: settings }), statement).rejects.toMatchObject({ code: '164' });
      }
      await expect(client.command({ query: 'SET max_result_rows = 1000000', clickhouse_settings: settings })).rejects.toMatchObject({ code: '164' });
      await client.close();
    });

    it('leaves the pipeline\'s own session writable after analyst queries', async () => {
      const before = (await h.runtime.storage.client.query({ query: `SELECT getSetting('readonly') AS r`, format: 'JSONEachRow' })).json<{ r: number | string }>();
      expect(Number((await before)[0]!.r)).toBe(0);
      await h.runtime.storage.client.command({ query: `CREATE TABLE ${db}.pipeline_probe (n UInt8) ENGINE = Memory` });
      await h.runtime.storage.client.command({ query: `INSERT INTO ${db}.pipeline_probe VALUES (1)` });
      await h.runtime.storage.client.command({ query: `DROP TABLE ${db}.pipeline_probe` });
    });

    it('refuses several statements in one request', async () => {
      const res = await sql({ query: `SELECT 1; DROP TABLE ${db}.golden_orders` });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'OL_ERR_SQL_INVALID', message: expect.stringMatching(/Multi-statements are not allowed/) });
    });
  });

  describe('limits', () => {
    it(`fails a result larger than max_result_rows (${MAX_ROWS}) instead of cutting it`, async () => {
      const ok = await sql({ query: `SELECT number FROM system.numbers LIMIT ${MAX_ROWS}` });
      expect(ok.statusCode).toBe(200);
      expect(ok.body.trim().split('\n')).toHaveLength(MAX_ROWS);
      const tooMany = await sql({ query: `SELECT number FROM system.numbers LIMIT ${MAX_ROWS + 1}` });
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json()).toMatchObject({ error: 'OL_ERR_SQL_LIMIT', message: expect.stringMatching(/Limit for result exceeded/) });
      const csv = await sql({ query: `SELECT * FROM ${db}.lake_events_masked`, format: 'CSV' });
      expect(csv.statusCode).toBe(400);
      expect(csv.json().error).toBe('OL_ERR_SQL_LIMIT');
    });

    it('never lets a failed query\'s partial output into the next answer (chDB keeps it on the session)', async () => {
      const failed = await sql({ query: 'SELECT throwIf(number = 20) AS boom FROM system.numbers LIMIT 24', format: 'CSV' });
      expect(failed.statusCode).toBe(400);
      const next = await sql({ query: 'SELECT 42 AS answer', format: 'CSV' });
      expect(next.body).toBe('"answer"\n42\n');
    });

    it('stops a query that runs longer than max_execution_time', async () => {
      const res = await sql({ query: 'SELECT count() FROM numbers(100000000000)' });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'OL_ERR_SQL_LIMIT', message: expect.stringMatching(/Timeout exceeded/) });
    });
  });

  describe('bad input', () => {
    it('answers 400 with ClickHouse\'s reason for invalid SQL', async () => {
      const syntax = await sql({ query: 'SELEC 1' });
      expect(syntax.statusCode).toBe(400);
      expect(syntax.json()).toMatchObject({ error: 'OL_ERR_SQL_INVALID', message: expect.stringMatching(/Syntax error/) });
      const table = await sql({ query: `SELECT * FROM ${db}.no_such_table` });
      expect(table.statusCode).toBe(400);
      expect(table.json().message).toMatch(/no_such_table/);
    });

    it('answers 400 naming the problem for a malformed body', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{}, /body must have required property 'query'/],
        [{ query: '' }, /body\/query must NOT have fewer than 1 characters/],
        [{ query: 'SELECT 1', format: 'XML' }, /body\/format must be equal to one of the allowed values: JSONEachRow, CSV/],
        [{ query: 'SELECT 1', limit: 5 }, /must NOT have additional properties \(limit\)/],
        [{ query: 'x'.repeat(100_001) }, /body\/query must NOT have more than 100000 characters/],
      ];
      for (const [body, message] of cases) {
        const res = await sql(body);
        expect(res.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
        expect(res.json()).toMatchObject({ error: 'OL_ERR_HTTP_BAD_REQUEST', message: expect.stringMatching(message) });
      }
      const notJson = await h.app.inject({ method: 'POST', url: '/sql', headers: { ...analyst, 'content-type': 'application/json' }, payload: '{"query":' });
      expect(notJson.statusCode).toBe(400);
      expect(notJson.json().error).toBe('OL_ERR_HTTP_BAD_REQUEST');
    });
  });

  it('is for analysts and admins only', async () => {
    expect((await sql({ query: 'SELECT 1' }, bearer(TOKENS.admin))).statusCode).toBe(200);
    for (const role of ['agent', 'service'] as const) {
      const res = await sql({ query: 'SELECT 1' }, bearer(TOKENS[role]));
      expect(res.statusCode, role).toBe(403);
      expect(res.json().error).toBe('OL_ERR_HTTP_FORBIDDEN');
    }
    expect((await sql({ query: 'SELECT 1' }, {})).statusCode).toBe(401);
  });
});
