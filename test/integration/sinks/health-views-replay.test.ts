import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config.js';
import type { GoldenView } from '../../../src/golden/index.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../../src/main.js';
import { TABLES } from '../../../src/sinks/index.js';
import { migrateForHealth } from '../../helpers/health-fixture.js';
import { replayInto } from '../../helpers/replay-into.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/contract/hundred-twenty-orders-shuffled.jsonl');
const FIXTURE_GOLDEN = path.join(REPO_ROOT, 'test/fixtures/contract/hundred-twenty-orders-shuffled.golden.jsonl');

/**
 * The golden-view health views over real golden rows: the contract's 120-order example replayed
 * through the embedded pipeline into chDB, and the views' figures recomputed in TypeScript from the
 * contract's expected views (JSON field names, time formats and deletes as the sink really writes them);
 * the case views against the cases the health rules wrote during the replay.
 */
describe('health views over the replayed contract example', () => {
  let runtime: EmbeddedRuntime;
  let dataDir: string;
  const database = 'orderlake_health_replay';
  let views: GoldenView[];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-health-replay-'));
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: dataDir }, REPO_ROOT);
    runtime = await createEmbeddedRuntime(config, pino({ level: 'silent' }), {
      dataPath: path.join(dataDir, 'lake'),
      database,
      recreate: true,
      // Event time moves with the recording only: the cases stay put while the test reads them.
      healthClock: false,
    });
    await replayInto(runtime, FIXTURE);
    await migrateForHealth(runtime.storage.client, database);
    views = (await readFile(FIXTURE_GOLDEN, 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as GoldenView);
  });
  afterAll(async () => {
    await runtime?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  async function rows(query: string): Promise<Array<Record<string, unknown>>> {
    const result = await runtime.storage.client.query({ query: query.replaceAll('$db', `\`${database}\``), format: 'JSONEachRow' });
    return (await result.json<Record<string, unknown>>()).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v])));
  }

  it('health_otd_daily agrees with the views\' delivered_at, promised_delivery_at and on_time', async () => {
    const expected = new Map<string, { day: string; channel: string; delivered: number; on_time: number; late: number }>();
    for (const v of views) {
      if (v.delivered_at === null) continue;
      const day = v.delivered_at.slice(0, 10);
      const channel = v.channel ?? 'UNKNOWN';
      const key = `${day}|${channel}`;
      const r = expected.get(key) ?? { day, channel, delivered: 0, on_time: 0, late: 0 };
      r.delivered += 1;
      // The contract's own on_time: delivered_at <= promised_delivery_at when both are known.
      if (v.on_time === true) r.on_time += 1;
      if (v.on_time === false) r.late += 1;
      expected.set(key, r);
    }
    const want = [...expected.values()]
      .sort((a, b) => (a.day === b.day ? (a.channel < b.channel ? -1 : 1) : a.day < b.day ? -1 : 1))
      .map((r) => ({ ...r, otd_rate: r.on_time + r.late === 0 ? null : r.on_time / (r.on_time + r.late) }));
    expect(want.length).toBeGreaterThan(3);
    expect(await rows(`SELECT toString(day) AS day, channel, delivered, on_time, late, otd_rate FROM $db.${TABLES.healthOtdDaily} ORDER BY day, channel`)).toEqual(want);
  });

  it('health_cancellations agrees with the views\' cancelled_at and after-sales returns, deleted orders left out', async () => {
    const expected = new Map<string, { channel: string; orders: number; cancelled: number; returned: number }>();
    for (const v of views) {
      const channel = v.channel ?? 'UNKNOWN';
      const r = expected.get(channel) ?? { channel, orders: 0, cancelled: 0, returned: 0 };
      r.orders += 1;
      if (v.cancelled_at !== null) r.cancelled += 1;
      if (v.after_sales.some((c) => c.case_type === 'RETURN' && c.status !== 'REJECTED')) r.returned += 1;
      expected.set(channel, r);
    }
    const want = [...expected.values()]
      .sort((a, b) => (a.channel < b.channel ? -1 : 1))
      .map((r) => ({ ...r, cancel_rate: r.cancelled / r.orders, return_rate: r.returned / r.orders }));
    expect(want.reduce((n, r) => n + r.cancelled, 0)).toBeGreaterThan(0);
    expect(want.reduce((n, r) => n + r.returned, 0)).toBeGreaterThan(0);
    expect(await rows(`SELECT * FROM $db.${TABLES.healthCancellations} ORDER BY channel`)).toEqual(want);
  });

  it('health_source_freshness lists every source with the lake\'s newest event time', async () => {
    const got = await rows(
      `SELECT source, toUnixTimestamp64Milli(newest_event_time) AS newest FROM $db.${TABLES.healthSourceFreshness} ORDER BY indexOf(['crm', 'wms', 'tms'], source)`,
    );
    const newest = (source: 'crm' | 'wms' | 'tms') => Math.max(...views.map((v) => (v.sources[source] ? Date.parse(v.sources[source]!.last_event_at) : 0)));
    // The lake also keeps the events of deleted orders, so it may know a later event than any view.
    expect(got.map((r) => r.source)).toEqual(['crm', 'wms', 'tms']);
    for (const r of got) expect(Number(r.newest), String(r.source)).toBeGreaterThanOrEqual(newest(r.source as 'crm' | 'wms' | 'tms'));
  });

  it('health_stuck_now and health_cases_by_rule agree with the cases the rules wrote', async () => {
    // Which rules wait, from the rule files themselves (the view tells them apart by their evidence).
    const rulesDir = path.join(REPO_ROOT, 'pipelines/rules');
    const waiting = new Set<string>();
    for (const file of await readdir(rulesDir)) {
      if (!file.endsWith('.yaml')) continue;
      const rule = parseYaml(await readFile(path.join(rulesDir, file), 'utf8')) as { name: string; condition: { kind: string } };
      if (rule.condition.kind === 'waiting') waiting.add(rule.name);
    }
    expect(waiting.size).toBeGreaterThan(1);

    const cases = await rows(`SELECT rule, subject, order_id, status, resolution, breached_at IS NOT NULL AS breached FROM $db.${TABLES.cases} FINAL`);
    const open = cases.filter((c) => c.status !== 'resolved' && c.subject === 'order' && waiting.has(String(c.rule)));
    expect(open.length, 'the replay should leave some orders stuck').toBeGreaterThan(0);
    const statusOf = new Map(views.map((v) => [v.order_id, v.status]));
    const stuck = new Map<string, { stage: string; rule: string; orders: Set<string>; breached: Set<string> }>();
    for (const c of open) {
      const stage = statusOf.get(String(c.order_id)) ?? 'UNKNOWN';
      const key = `${stage}|${c.rule}`;
      const r = stuck.get(key) ?? { stage, rule: String(c.rule), orders: new Set(), breached: new Set() };
      r.orders.add(String(c.order_id));
      if (c.breached === 1 || c.breached === true) r.breached.add(String(c.order_id));
      stuck.set(key, r);
    }
    const byKey = (a: { stage: string; rule: string }, b: { stage: string; rule: string }) => (`${a.stage}|${a.rule}` < `${b.stage}|${b.rule}` ? -1 : 1);
    const want = [...stuck.values()].map((r) => ({ stage: r.stage, rule: r.rule, orders: r.orders.size, breached: r.breached.size })).sort(byKey);
    const got = (await rows(`SELECT stage, rule, orders, breached FROM $db.${TABLES.healthStuckNow}`)) as Array<{ stage: string; rule: string }>;
    expect(got.sort(byKey)).toEqual(want);

    const perRule = await rows(`SELECT rule, opened, open, self_healed, by_agent FROM $db.${TABLES.healthCasesByRule} ORDER BY rule`);
    const rules = [...new Set(cases.map((c) => String(c.rule)))].sort();
    expect(perRule).toEqual(
      rules.map((rule) => {
        const of = cases.filter((c) => c.rule === rule);
        return {
          rule,
          opened: of.length,
          open: of.filter((c) => c.status !== 'resolved').length,
          self_healed: of.filter((c) => c.resolution === 'self_healed').length,
          by_agent: of.filter((c) => c.resolution === 'by_agent').length,
        };
      }),
    );
  });
});
