import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/api/index.js';
import { createRuntimeApi } from '../../../src/runtime/api.js';
import { loadConfig } from '../../../src/config.js';
import type { HealthCase } from '../../../src/health/index.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../../src/main.js';
import type { RawMessage } from '../../../src/pipeline/raw-message.js';
import { generateScenario, scenarioManifest, type ReplayLine } from '../../../src/simulator/index.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';
import { parsePrometheusText } from '../../helpers/prometheus-text.js';

/**
 * The health stage inside the real embedded runtime (chDB, the shipped rules): cases opened by a
 * simulated recording are stored, listed in queue order, acted on by agents through the API,
 * opened by the wall clock while sources are idle, and restored with their versions on restart.
 */

const TOKENS = { agent: 'cases-agent', analyst: 'cases-analyst' } as const;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const SCENARIO = { orders: 160, seed: 23, startTime: Date.UTC(2026, 10, 20) };
const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** The wall clock of the runtime, moved by the test. */
let clockNow = Date.UTC(2026, 10, 22);
const clock = () => clockNow;

let dataDir: string;
let runtime: EmbeddedRuntime;
let app: FastifyInstance;
const database = 'orderlake_cases_test';

async function open(rebuild: boolean): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: dataDir }, REPO_ROOT);
  const dataPath = path.join(dataDir, 'lake');
  runtime = await createEmbeddedRuntime(config, pino({ level: 'silent' }), { dataPath, database, recreate: !rebuild, rebuild, healthClock: false, clock });
  app = await createRuntimeApi(config, pino({ level: 'silent' }), runtime, {
    dataPath,
    auth: createAuthenticator({ tokens: [{ token: TOKENS.agent, role: 'agent', name: 'agent-ann' }, { token: TOKENS.analyst, role: 'analyst', name: 'analyst-bo' }] }),
    overrides: { now: clock },
  });
  await app.ready();
}

async function close(): Promise<void> {
  await app.close();
  await runtime.close();
}

async function feed(lines: readonly ReplayLine[]): Promise<void> {
  const encoder = runtime.codec.encoder;
  let batch: RawMessage[] = [];
  let offset = 0;
  for (const line of lines) {
    batch.push({
      topic: line.topic,
      partition: 0,
      offset: String(offset++),
      timestamp: line.timestamp ?? clockNow,
      key: await encoder.encodeKey(line.topic, line.key),
      value: line.value === null ? null : await encoder.encode(line.topic, line.schema, line.value),
    });
    if (batch.length === 100) {
      await runtime.pipeline.process(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await runtime.pipeline.process(batch);
  await runtime.storage.sink.flush();
}

async function get<T>(url: string, token: string = TOKENS.agent): Promise<{ status: number; body: T }> {
  const res = await app.inject({ method: 'GET', url, headers: bearer(token) });
  return { status: res.statusCode, body: res.json() as T };
}

async function act(caseId: string, body: Record<string, unknown>): Promise<{ status: number; body: HealthCase & { error?: string } }> {
  const res = await app.inject({ method: 'POST', url: `/cases/${encodeURIComponent(caseId)}/actions`, headers: bearer(TOKENS.agent), payload: body });
  return { status: res.statusCode, body: res.json() as HealthCase & { error?: string } };
}

function queueOrder(a: HealthCase, b: HealthCase): number {
  return SEVERITY_RANK[a.severity]! - SEVERITY_RANK[b.severity]! || a.opened_at.localeCompare(b.opened_at) || (a.case_id < b.case_id ? -1 : 1);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-cases-'));
  await open(false);
  await feed(generateScenario(SCENARIO));
}, 120_000);

afterAll(async () => {
  await close().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

describe('exception cases in the embedded runtime', { timeout: 60_000 }, () => {
  it('stores every case the rules hold, listed in queue order (severity, then age)', async () => {
    const held = runtime.health!.held();
    expect(held.length).toBeGreaterThan(10);
    const all = await get<{ cases: HealthCase[]; truncated: boolean }>('/cases?status=all&limit=1000');
    expect(all.status).toBe(200);
    expect(all.body.truncated).toBe(false);
    expect(new Map(all.body.cases.map((c) => [c.case_id, c.version]))).toEqual(new Map(held.map((c) => [c.case_id, c.version])));
    expect(all.body.cases).toEqual([...all.body.cases].sort(queueOrder));

    const active = await get<{ cases: HealthCase[] }>('/cases');
    expect(active.body.cases.length).toBeGreaterThan(0);
    expect(active.body.cases.every((c) => c.status !== 'resolved')).toBe(true);
    expect(active.body.cases.map((c) => c.case_id)).toEqual(held.filter((c) => c.status !== 'resolved').sort(queueOrder).map((c) => c.case_id));
  });

  it('filters by severity, rule and queue, and refuses an unknown severity', async () => {
    const all = (await get<{ cases: HealthCase[] }>('/cases?status=all&limit=1000')).body.cases;
    const rule = all[0]!.rule;
    const byRule = (await get<{ cases: HealthCase[] }>(`/cases?status=all&limit=1000&rule=${rule}`)).body.cases;
    expect(byRule.map((c) => c.case_id)).toEqual(all.filter((c) => c.rule === rule).map((c) => c.case_id));
    const critical = (await get<{ cases: HealthCase[] }>('/cases?status=all&limit=1000&severity=critical,warning')).body.cases;
    expect(critical.map((c) => c.case_id)).toEqual(all.filter((c) => c.severity !== 'info').map((c) => c.case_id));
    const queue = all[all.length - 1]!.queue;
    const byQueue = (await get<{ cases: HealthCase[] }>(`/cases?status=all&limit=1000&queue=${queue}`)).body.cases;
    expect(byQueue.map((c) => c.case_id)).toEqual(all.filter((c) => c.queue === queue).map((c) => c.case_id));
    const bad = await get<{ error: string; message: string }>('/cases?severity=urgent');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('urgent');
    const limited = await get<{ cases: HealthCase[]; truncated: boolean }>('/cases?status=all&limit=2');
    expect(limited.body).toMatchObject({ truncated: true });
    expect(limited.body.cases.map((c) => c.case_id)).toEqual(all.slice(0, 2).map((c) => c.case_id));
  });

  it('lets an agent acknowledge, assign, comment on and resolve a case, each step recorded and stored', async () => {
    const open = runtime.health!.held().find((c) => c.status === 'open' && c.subject === 'order')!;
    expect(open).toBeDefined();
    const acked = await act(open.case_id, { action: 'acknowledge' });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ status: 'acknowledged', version: open.version + 1 });
    expect(acked.body.history.at(-1)).toMatchObject({ action: 'acknowledged', by: 'agent-ann', at: new Date(clockNow).toISOString() });
    const again = await act(open.case_id, { action: 'acknowledge' });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('OL_ERR_CASE_ACTION_REFUSED');
    expect((await act(open.case_id, { action: 'assign', assignee: 'li.wei' })).body).toMatchObject({ assignee: 'li.wei' });
    expect((await act(open.case_id, { action: 'comment', text: 'called the warehouse' })).body.history.at(-1)).toMatchObject({ action: 'commented', note: 'called the warehouse' });
    const resolved = await act(open.case_id, { action: 'resolve', note: 're-released' });
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'by_agent', version: open.version + 4 });
    expect((await act(open.case_id, { action: 'shout' })).status).toBe(400);
    expect((await act('no-such-case', { action: 'acknowledge' })).status).toBe(404);

    await runtime.storage.sink.flush();
    const stored = await get<HealthCase>(`/cases/${encodeURIComponent(open.case_id)}`);
    expect(stored.body).toEqual(resolved.body);
    const ofOrder = await get<{ cases: HealthCase[] }>(`/orders/${encodeURIComponent(open.order_id!)}/cases`);
    expect(ofOrder.body.cases.find((c) => c.case_id === open.case_id)).toEqual(resolved.body);
    const active = (await get<{ cases: HealthCase[] }>('/cases?limit=1000')).body.cases;
    expect(active.map((c) => c.case_id)).not.toContain(open.case_id);
  });

  it('needs the agent role', async () => {
    expect((await app.inject({ method: 'GET', url: '/cases' })).statusCode).toBe(401);
    expect((await get('/cases', TOKENS.analyst)).status).toBe(403);
  });

  it('counts cases on /metrics', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const { samples } = parsePrometheusText(text);
    const opened = samples.filter((s) => s.name === 'orderlake_cases_opened_total').reduce((n, s) => n + s.value, 0);
    const held = runtime.health!.held();
    expect(opened).toBeGreaterThanOrEqual(held.length - held.filter((c) => c.subject !== 'order').length);
    const open = samples.filter((s) => s.name === 'orderlake_cases_open').reduce((n, s) => n + s.value, 0);
    expect(open).toBe(held.filter((c) => c.status !== 'resolved').length);
    expect(samples.some((s) => s.name === 'orderlake_cases_resolved_total' && s.labels.resolution === 'by_agent')).toBe(true);
    expect(samples.some((s) => s.name === 'orderlake_source_freshness_seconds_count' && s.labels.source === 'wms')).toBe(true);
    // A first start records each rule and pipeline file as the baseline: no change to time yet.
    expect(samples.some((s) => s.name === 'orderlake_strategy_change_seconds')).toBe(false);
    const recorded = await (await runtime.storage.client.query({ query: `SELECT kind, count() AS n FROM ${database}.config_changes GROUP BY kind ORDER BY kind`, format: 'JSONEachRow' })).json<{ kind: string; n: string | number }>();
    expect(recorded.map((r) => [r.kind, Number(r.n) > 0])).toEqual([['pipelines', true], ['rules', true]]);
  });

  it('opens a waiting case from the wall clock alone while every source is idle', async () => {
    // An order paid in the CRM that no warehouse ever hears of: only its CRM lines.
    // A month after the recording above, so its event times do not already pass the deadline.
    const later = { ...SCENARIO, orders: 40, orderIdPrefix: 'CLK-', startTime: Date.UTC(2026, 11, 20) };
    const kinds = new Map(scenarioManifest(later).map((o) => [o.order_id, o.kind]));
    const lines = generateScenario(later);
    const orderId = [...kinds].find(([, kind]) => kind === 'happy')![0];
    // Its CRM lines up to the payment (a few minutes in): nothing later moves event time on.
    const ofOrder = lines.filter((l) => l.topic.startsWith('crm.') && JSON.stringify(l.key).includes(orderId));
    const at = (l: ReplayLine) => l.timestamp ?? 0;
    const crmOnly = ofOrder.filter((l) => at(l) <= at(ofOrder[0]!) + 10 * 60_000);
    expect(crmOnly.some((l) => (l.value?.after as { status?: string } | null)?.status === 'PAID')).toBe(true);
    const last = Math.max(...crmOnly.map(at));
    // Arrived "now", then the sources fall silent.
    clockNow = last;
    await feed(crmOnly.map((l) => ({ ...l, timestamp: last })));
    const waiting = () => runtime.health!.casesOfOrder(orderId).find((c) => c.rule === 'paid-not-released');
    expect(waiting()).toBeUndefined();
    clockNow = last + 30 * 60_000;
    runtime.health!.tick();
    expect(waiting()?.at_risk ?? false).toBe(false);
    clockNow = last + 6 * 3_600_000;
    const changes = runtime.health!.tick();
    expect(changes.map((c) => c.case.order_id)).toContain(orderId);
    expect(waiting()).toMatchObject({ status: 'open', at_risk: false });
    expect(waiting()!.breached_at).not.toBeNull();
    expect(waiting()!.history.map((h) => h.action)).toEqual(['at_risk', 'breached']);
  });

  it('restores every case with its version on restart, and the acted-on case stays resolved', async () => {
    await runtime.storage.sink.flush();
    const before = runtime.health!.held();
    await close();
    await open(true);
    const after = runtime.health!.held();
    const versions = (cases: HealthCase[]) => new Map(cases.filter((c) => c.subject === 'order').map((c) => [c.case_id, `${c.version}:${c.status}`]));
    expect(versions(after)).toEqual(versions(before));
    const listed = (await get<{ cases: HealthCase[] }>('/cases?status=all&limit=1000')).body.cases;
    expect(listed.length).toBe(before.length);
  });
});
