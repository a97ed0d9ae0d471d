import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HEALTH_VIEWS } from '../../../src/sinks/index.js';
import { closeTestClient, createTestDatabase, type TestDatabase } from '../../helpers/clickhouse-test-db.js';
import { migrateForHealth, seedHealthFixture } from '../../helpers/health-fixture.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dashboards/grafana');

interface Target {
  datasource: { type: string; uid: string };
  editorType: string;
  format: number;
  queryType: string;
  rawSql: string;
  refId: string;
}

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}

interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
}

const dashboard = async (): Promise<Dashboard> => JSON.parse(await readFile(path.join(DIR, 'orderlake-health.json'), 'utf8')) as Dashboard;
const queried = (d: Dashboard): Array<{ panel: Panel; target: Target }> =>
  d.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));

/** The columns each panel's query must give, in order. */
const EXPECTED_COLUMNS: Record<string, string[]> = {
  'On-time delivery rate by channel': ['time', 'channel', 'otd_rate'],
  'Delivered orders per day': ['time', 'channel', 'delivered'],
  'On-time delivery, selected days': ['otd_rate'],
  'Cases by rule': ['rule', 'opened', 'open', 'self_healed', 'by_agent', 'self_heal_rate', 'resolve_p50_s', 'resolve_p90_s'],
  'Orders stuck now': ['rule_stage', 'at_risk', 'breached'],
  'Source freshness': ['source', 'events', 'p50_ms', 'p99_ms', 'lag_ms'],
  'Cancellations and returns by channel': ['channel', 'orders', 'cancelled', 'returned', 'cancel_rate', 'return_rate'],
  'Rule and pipeline changes going live': ['live_at', 'kind', 'file', 'changed_at', 'response_s'],
  'Strategy change response time (median)': ['response_s'],
};

/** The dashboard's time range in these tests: all of November 2026 (UTC), where the fixture lives. */
const FROM = new Date('2026-11-01T00:00:00.000Z');
const TO = new Date('2026-11-30T23:59:59.000Z');

/**
 * What the ClickHouse data source sends for a panel query: the Grafana variable `database`
 * replaced, and the plugin's macros expanded exactly as its backend does (pkg/macros/macros.go:
 * `$__timeFilter(c)` → `c >= toDateTime(<from s>) AND c <= toDateTime(<to s>)`, `$__dateFilter(c)`
 * → `c >= toDate('<from day>') AND c <= toDate('<to day>')`, `$__fromTime`/`$__toTime` →
 * `toDateTime(<s>)`). Anything else left with a `$` is an error: the test would not be testing
 * what Grafana runs.
 */
function interpolate(sql: string, database: string): string {
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const out = sql
    .replaceAll('${database}', database)
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} >= toDateTime(${seconds(FROM)}) AND ${c.trim()} <= toDateTime(${seconds(TO)})`)
    .replace(/\$__dateFilter\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} >= toDate('${day(FROM)}') AND ${c.trim()} <= toDate('${day(TO)}')`)
    .replaceAll('$__fromTime', `toDateTime(${seconds(FROM)})`)
    .replaceAll('$__toTime', `toDateTime(${seconds(TO)})`);
  if (out.includes('$')) throw new Error(`uninterpolated variable or macro left in: ${out}`);
  return out;
}

describe('dashboards/grafana/orderlake-health.json (Grafana ClickHouse data source)', () => {
  it('has ClickHouse SQL targets only, every one on the dashboard\'s data source variable, reading only the health views', async () => {
    const d = await dashboard();
    const variables = new Map(d.templating.list.map((v) => [v.name, v]));
    expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'grafana-clickhouse-datasource' });
    expect(variables.get('database')).toMatchObject({ type: 'textbox', query: 'orderlake' });

    const targets = queried(d);
    expect(targets.map((t) => t.panel.title).sort()).toEqual(Object.keys(EXPECTED_COLUMNS).sort());
    const views = new Set<string>(HEALTH_VIEWS);
    const used = new Set<string>();
    for (const { panel, target } of targets) {
      const ds = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' };
      expect(panel.datasource, panel.title).toEqual(ds);
      expect(target.datasource, panel.title).toEqual(ds);
      expect(target.editorType, panel.title).toBe('sql');
      // sqlds formats: 0 time series (with a `time` column), 1 table.
      expect(target.format, panel.title).toBe(target.queryType === 'timeseries' ? 0 : 1);
      expect(['table', 'timeseries'], panel.title).toContain(target.queryType);
      // Every relation read is `${database}.<health view>`.
      const relations = [...target.rawSql.matchAll(/\b(?:FROM|JOIN)\s+([^\s(]+)/gi)].map((m) => m[1]!);
      expect(relations.length, panel.title).toBeGreaterThan(0);
      for (const relation of relations) {
        const view = /^\$\{database\}\.(\w+)$/.exec(relation)?.[1];
        expect(view !== undefined && views.has(view), `${panel.title} reads ${relation}`).toBe(true);
        used.add(view!);
      }
    }
    expect([...used].sort()).toEqual([...views].sort());
  });

  it('lays its panels out without overlaps', async () => {
    const cells = new Map<string, string>();
    for (const panel of (await dashboard()).panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.get(`${i},${j}`), `${panel.title} overlaps`).toBeUndefined();
          cells.set(`${i},${j}`, panel.title);
        }
      }
    }
  });

  it('provisions a ClickHouse data source from environment variables and a file provider for the dashboards', async () => {
    const datasources = parseYaml(await readFile(path.join(DIR, 'provisioning/datasources.yaml'), 'utf8')) as {
      apiVersion: number;
      datasources: Array<{ type: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }>;
    };
    expect(datasources.apiVersion).toBe(1);
    const [ch] = datasources.datasources;
    expect(ch!.type).toBe('grafana-clickhouse-datasource');
    expect(ch!.jsonData).toMatchObject({
      host: '${ORDERLAKE_CLICKHOUSE_HOST}',
      port: '${ORDERLAKE_CLICKHOUSE_PORT}',
      protocol: '${ORDERLAKE_CLICKHOUSE_PROTOCOL}',
      username: '${ORDERLAKE_CLICKHOUSE_USER}',
      defaultDatabase: '${ORDERLAKE_CLICKHOUSE_DATABASE}',
    });
    expect(ch!.secureJsonData.password).toBe('${ORDERLAKE_CLICKHOUSE_PASSWORD}');
    const dashboards = parseYaml(await readFile(path.join(DIR, 'provisioning/dashboards.yaml'), 'utf8')) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(dashboards.providers).toHaveLength(1);
    expect(dashboards.providers[0]).toMatchObject({ type: 'file', options: { path: '${ORDERLAKE_GRAFANA_DASHBOARDS}' } });
  });

  describe('every panel query against the views on chDB', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('orderlake_grafana');
      await migrateForHealth(db.client, db.database);
      await seedHealthFixture(db.client, db.database, Date.now());
    });
    afterAll(async () => {
      await db?.drop();
      await closeTestClient();
    });

    it('runs each rawSql, macros expanded, and gets the panel\'s columns with rows', async () => {
      const results = new Map<string, Array<Record<string, unknown>>>();
      for (const { panel, target } of queried(await dashboard())) {
        const query = interpolate(target.rawSql, db.database);
        const result = await db.client.query({ query, format: 'JSON' });
        const body = await result.json<Record<string, unknown>>();
        const meta = body.meta ?? [];
        expect(meta.map((m) => m.name), panel.title).toEqual(EXPECTED_COLUMNS[panel.title]);
        expect(body.data.length, `${panel.title} returned no rows`).toBeGreaterThan(0);
        if (target.format === 0) expect(meta[0], panel.title).toMatchObject({ name: 'time', type: 'DateTime' });
        results.set(panel.title, body.data);
      }
      // A few figures the panels must show for the fixture.
      expect(results.get('On-time delivery, selected days')).toEqual([{ otd_rate: 0.75 }]);
      expect(results.get('Orders stuck now')).toEqual([
        { rule_stage: 'paid-not-released · PAID', at_risk: 0, breached: 1 },
        { rule_stage: 'paid-not-released · PICKING', at_risk: 1, breached: 0 },
        { rule_stage: 'released-not-shipped · PICKING', at_risk: 0, breached: 1 },
        { rule_stage: 'released-not-shipped · UNKNOWN', at_risk: 1, breached: 0 },
      ]);
      expect(results.get('On-time delivery rate by channel')).toEqual([
        { time: '2026-11-20 00:00:00', channel: 'TMALL', otd_rate: 2 / 3 },
        { time: '2026-11-21 00:00:00', channel: 'TMALL', otd_rate: 1 },
      ]);
      expect(results.get('Strategy change response time (median)')).toEqual([{ response_s: 3600.25 }]);
    });
  });
});
