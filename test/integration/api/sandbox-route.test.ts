import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/api/index.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../../src/main.js';
import { createRuntimeApi } from '../../../src/runtime/api.js';
import { runSandboxOn } from '../../../src/runtime/run-sandbox.js';
import type { SandboxReport } from '../../../src/sandbox/index.js';
import { encodeLinesFor } from '../../helpers/replay-into.js';
import { REPO_ROOT, generateScenario } from '../../helpers/pipeline-run.js';

/**
 * `POST /admin/sandbox` on the real embedded runtime (chDB, the shipped pipelines): recorded
 * traffic, then candidate files uploaded or named as a folder. Admins only; bad names and files
 * that do not load are 400s naming the problem; one run at a time; and the diff of an uploaded
 * WMS mapping change is exactly what `runSandboxOn` (the CLI's entry) gives for the same folder.
 */

const TOKENS = { agent: 'sandbox-agent', analyst: 'sandbox-analyst', service: 'sandbox-service', admin: 'sandbox-admin' } as const;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const WMS_FILE = 'wms-fulfillment.yaml';
const PRODUCTION = path.join(REPO_ROOT, 'pipelines');
const database = 'orderlake_sandbox_route_test';

let dataDir: string;
let config: Config;
let runtime: EmbeddedRuntime;
let app: FastifyInstance;
/** The candidate: production's WMS file with PACKED mapped to PICKED and REROUTED unknown. */
let candidateWms: string;
/** Production's folder with that one file changed, for the CLI's entry and the `dir` form. */
let candidateDir: string;
/** Where the route's temporary folders go during this file (TMPDIR), to see them removed. */
let routeTmp: string;
let window: { from: number; to: number };
const logger = pino({ level: 'silent' });

async function post(body: unknown, token: string | null = TOKENS.admin): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method: 'POST', url: '/admin/sandbox', headers: token === null ? {} : bearer(token), payload: body as Record<string, unknown> });
  return { status: res.statusCode, body: res.json() };
}

const windowBody = () => ({ from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() });
const upload = (name: string, text: string) => ({ files: [{ name, text }] });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-route-'));
  routeTmp = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-route-tmp-'));
  config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: dataDir }, REPO_ROOT);
  const dataPath = path.join(dataDir, 'lake');
  runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, recreate: true, health: false });
  app = await createRuntimeApi(config, logger, runtime, {
    dataPath,
    auth: createAuthenticator({
      tokens: [
        { token: TOKENS.agent, role: 'agent', name: 'agent-ann' },
        { token: TOKENS.analyst, role: 'analyst', name: 'analyst-bo' },
        { token: TOKENS.service, role: 'service', name: 'service-dee' },
        { token: TOKENS.admin, role: 'admin', name: 'admin-cy' },
      ],
    }),
  });
  await app.ready();

  const lines = generateScenario({ seed: 4711, orders: 140, startTime: Date.UTC(2026, 10, 22), duplicateRate: 0.05, shuffle: 'none', wmsV1Share: 0 });
  const messages = await encodeLinesFor(runtime.codec.encoder, lines);
  for (let i = 0; i < messages.length; i += 300) await runtime.pipeline.process(messages.slice(i, i + 300));
  await runtime.storage.sink.flush();
  const times = lines.map((l) => l.timestamp!).sort((a, b) => a - b);
  window = { from: times[Math.floor(times.length * 0.3)]!, to: times[Math.floor(times.length * 0.6)]! };

  const text = await readFile(path.join(PRODUCTION, WMS_FILE), 'utf8');
  candidateWms = text.replace('      PACKED: PACKED\n', '      PACKED: PICKED\n').replace('      REROUTED: REROUTED\n', '');
  expect(candidateWms).not.toBe(text);
  candidateDir = await mkdtemp(path.join(tmpdir(), 'orderlake-sandbox-route-candidate-'));
  await cp(PRODUCTION, candidateDir, { recursive: true });
  await writeFile(path.join(candidateDir, WMS_FILE), candidateWms);
  // The route writes its temporary folders under os.tmpdir(): here, a folder of this test's own.
  process.env.TMPDIR = routeTmp;
}, 180_000);

afterAll(async () => {
  delete process.env.TMPDIR;
  await app?.close().catch(() => undefined);
  await runtime?.close().catch(() => undefined);
  for (const dir of [dataDir, routeTmp, candidateDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('POST /admin/sandbox', () => {
  it('is for admins only: 401 without a token, 403 for every other role', async () => {
    const body = { ...windowBody(), pipelines: upload(WMS_FILE, candidateWms) };
    const none = await post(body, null);
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('OL_ERR_HTTP_UNAUTHORIZED');
    for (const token of [TOKENS.agent, TOKENS.analyst, TOKENS.service]) {
      const res = await post(body, token);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'OL_ERR_HTTP_FORBIDDEN', message: expect.stringMatching(/^requires role admin; /) });
    }
  });

  it('answers its status to admins only; GET /whoami tells the console who the token is', async () => {
    const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token === undefined ? {} : bearer(token) });
    for (const token of [TOKENS.agent, TOKENS.analyst, TOKENS.service]) expect((await get('/admin/sandbox', token)).statusCode).toBe(403);
    expect((await get('/admin/sandbox')).statusCode).toBe(401);
    expect((await get('/whoami', TOKENS.agent)).json()).toEqual({ name: expect.any(String), roles: ['agent'], permissions: [], via: 'token' });
    expect((await get('/whoami', TOKENS.admin)).json()).toMatchObject({ roles: ['admin'], via: 'token' });
    expect((await get('/whoami')).statusCode).toBe(401);
  });

  it('tells an admin whether a run is going on and which production files uploads are laid over', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin/sandbox', headers: bearer(TOKENS.admin) });
    expect(res.statusCode).toBe(200);
    const status = res.json() as { running: boolean; pipelines: string[]; rules: string[]; batch_orders: number };
    expect(status.running).toBe(false);
    expect(status.pipelines).toEqual((await readdir(PRODUCTION)).filter((n) => n.endsWith('.yaml')).sort());
    expect(status.rules).toContain('short-pick.yaml');
    expect(status.batch_orders).toBe(200);
  });

  it('refuses file names that are not plain YAML file names, naming the file', async () => {
    for (const name of ['../wms-fulfillment.yaml', 'sub/wms-fulfillment.yaml', 'sub\\x.yaml', '.hidden.yaml', 'wms-fulfillment.txt', 'wms fulfillment.yaml']) {
      const res = await post({ ...windowBody(), pipelines: upload(name, candidateWms) });
      expect(res.status, name).toBe(400);
      expect(res.body.error).toBe('OL_ERR_HTTP_BAD_REQUEST');
      expect(res.body.message).toContain('body/pipelines/files/0/name must be a plain file name ending .yaml or .yml');
    }
    const twice = await post({ ...windowBody(), pipelines: { files: [{ name: WMS_FILE, text: candidateWms }, { name: WMS_FILE, text: candidateWms }] } });
    expect(twice.status).toBe(400);
    expect(twice.body.message).toContain('uploaded more than once');
    const bad = await post({ ...windowBody(), rules: upload('x.yml/', ''), pipelines: upload(WMS_FILE, candidateWms) });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('body/rules/files/0/name');
  });

  it('refuses bodies that name no candidate, both forms, a missing folder, or a window without its zone', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...windowBody(), pipelines: {} }, 'body/pipelines must have exactly one of files'],
      [{ ...windowBody(), pipelines: { dir: candidateDir, files: [{ name: WMS_FILE, text: '' }] } }, 'body/pipelines must have exactly one of files'],
      [{ ...windowBody(), pipelines: { dir: path.join(candidateDir, 'no-such-folder') } }, 'body/pipelines/dir: no folder'],
      [{ from: '2026-11-22T10:00:00', to: '2026-11-22T12:00:00Z', pipelines: { dir: candidateDir } }, 'body/from: expected an ISO 8601 time with its zone'],
      [{ from: '2026-11-22T12:00:00Z', to: '2026-11-22T10:00:00Z', pipelines: { dir: candidateDir } }, 'body/to must be after body/from'],
      [{ ...windowBody(), orders: ' , ', pipelines: { dir: candidateDir } }, 'body/orders must name at least one order id'],
      [{ ...windowBody(), pipelines: { dir: candidateDir }, extra: 1 }, 'must NOT have additional properties'],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, message).toBe(400);
      expect(res.body.error).toBe('OL_ERR_HTTP_BAD_REQUEST');
      expect(res.body.message).toContain(message);
    }
  });

  it('answers 400 with the loader\'s code and problems for a candidate file that does not load, and leaves no temporary folder', async () => {
    const broken = candidateWms.replace(/^topic: .*$/m, 'topic: [unclosed');
    expect(broken).not.toBe(candidateWms);
    const res = await post({ ...windowBody(), pipelines: upload(WMS_FILE, broken) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('OL_ERR_PIPELINE_INVALID');
    expect(res.body.message).toMatch(/^invalid pipeline file/);
    expect(res.body.message).toContain(`pipelines/${WMS_FILE}:`);
    expect(res.body.message).not.toContain(routeTmp);

    // Valid YAML that is no pipeline: the schema's complaint, naming the path inside the file.
    const wrong = await post({ ...windowBody(), pipelines: upload('extra.yaml', 'name: extra\ntopic: 42\n') });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('OL_ERR_PIPELINE_INVALID');
    expect(wrong.body.message).toContain('pipelines/extra.yaml');

    const rule = await post({ ...windowBody(), pipelines: upload(WMS_FILE, candidateWms), rules: upload('short-pick.yaml', 'name: short-pick\nseverity: apocalyptic\n') });
    expect(rule.status).toBe(400);
    expect(rule.body.error).toBe('OL_ERR_RULE_INVALID');
    expect(rule.body.message).toContain('rules/short-pick.yaml');

    expect(await readdir(routeTmp)).toEqual([]);
  });

  it('runs one at a time: a second request while one runs gets 409', async () => {
    const body = { ...windowBody(), pipelines: upload(WMS_FILE, candidateWms) };
    let refused: { status: number; body: any } | null = null;
    // The first run must still be going when the second arrives: seen through GET /admin/sandbox.
    for (let attempt = 0; attempt < 5 && refused === null; attempt++) {
      let done = false;
      const first = post(body).finally(() => (done = true));
      while (!done) {
        const status = (await app.inject({ method: 'GET', url: '/admin/sandbox', headers: bearer(TOKENS.admin) })).json() as { running: boolean; by: string | null };
        if (status.running) {
          expect(status.by).toBe('admin-cy');
          refused = await post(body);
          break;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const firstAnswer = await first;
      expect(firstAnswer.status).toBe(200);
    }
    expect(refused, 'a second request while the first was running').not.toBeNull();
    expect(refused!.status).toBe(409);
    expect(refused!.body.error).toBe('OL_ERR_SANDBOX_BUSY');
    expect(refused!.body.message).toContain('admin-cy');
    // Over: the next one runs.
    expect((await post(body)).status).toBe(200);
    expect(await readdir(routeTmp)).toEqual([]);
  });

  it('diffs an uploaded WMS mapping change exactly as the CLI\'s runSandboxOn does for the same folder', async () => {
    const res = await post({ ...windowBody(), pipelines: upload(WMS_FILE, candidateWms) });
    expect(res.status).toBe(200);
    const report = res.body as SandboxReport;
    const cli = await runSandboxOn(config, logger, { client: runtime.storage.reader, database }, {
      pipelines: candidateDir,
      rules: null,
      window,
      orders: null,
      batchOrders: 200,
    });
    expect(cli.orders.length).toBeGreaterThan(3);
    expect(report.orders).toEqual(cli.orders);
    expect(report.totals).toEqual(cli.totals);
    expect(report.status_moves).toEqual(cli.status_moves);
    expect(report.exceptions).toEqual(cli.exceptions);
    expect(report.dead_letters).toEqual(cli.dead_letters);
    expect(report.dead_letters.created.length).toBeGreaterThan(0); // REROUTED is unknown to the candidate
    expect(report.totals.orders_compared).toBeGreaterThan(report.totals.orders_changed); // the window holds untouched orders too
    expect(report.window).toEqual(windowBody());
    expect(report.pipelines).toBe(`uploaded ${WMS_FILE} over ${PRODUCTION}`);
    expect(report.cases).toEqual(cli.cases); // whatever shape the exception-case section has, passed through whole

    // A field change with production's value and the candidate's: the packing that no longer happens.
    const changes = report.orders.flatMap((o) => o.fields.map((f) => ({ order: o.order_id, ...f })));
    const packed = changes.find((c) => /(^|\.)packed_at$/.test(c.path) && typeof c.before === 'string');
    expect(packed, JSON.stringify(changes.slice(0, 10))).toBeDefined();
    expect(packed!.after).not.toEqual(packed!.before);
    const status = changes.find((c) => /status$/.test(c.path) && c.before === 'PACKED');
    if (status) expect(status.after).toBe('PICKED');

    // The same folder named on the server gives the same diff.
    const byDir = await post({ ...windowBody(), pipelines: { dir: candidateDir } });
    expect(byDir.status).toBe(200);
    expect(byDir.body.orders).toEqual(cli.orders);
    expect(byDir.body.pipelines).toBe(candidateDir);

    // Narrowed to some orders, as --orders narrows them.
    const some = cli.orders.slice(0, 2).map((o) => o.order_id);
    const narrowed = await post({ ...windowBody(), orders: some.join(','), pipelines: upload(WMS_FILE, candidateWms) });
    expect(narrowed.status).toBe(200);
    expect((narrowed.body as SandboxReport).orders.map((o) => o.order_id)).toEqual(some);
    expect((narrowed.body as SandboxReport).orders_filter).toBe(some.join(','));

    // Production's own files uploaded unchanged: nothing to report.
    const baseline = await post({ ...windowBody(), pipelines: upload(WMS_FILE, await readFile(path.join(PRODUCTION, WMS_FILE), 'utf8')) });
    expect(baseline.status).toBe(200);
    expect(baseline.body.orders).toEqual([]);
    expect(await readdir(routeTmp)).toEqual([]);
  });
});
