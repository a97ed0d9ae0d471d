import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createAuthenticator } from '../../../../src/api/index.js';
import { createRuntimeApi } from '../../../../src/runtime/api.js';
import { loadConfig, type Config } from '../../../../src/config.js';
import { createGoldenStore, type GoldenStore, type GoldenView } from '../../../../src/golden/index.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../../../src/main.js';
import { createClickHouseClient, type ClickHouseClient } from '../../../../src/sinks/index.js';
import { REPO_ROOT } from '../../../helpers/pipeline-run.js';
import { replayInto } from '../../../helpers/replay-into.js';

export const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/contract/forty-orders-shuffled.jsonl');
export const FIXTURE_GOLDEN = path.join(REPO_ROOT, 'test/fixtures/contract/forty-orders-shuffled.golden.jsonl');
/** Orders of the fixture that the CRM deleted: no view, events kept in the lake. */
export const DELETED_ORDERS = ['SO-000020', 'SO-000025'];

export const JWT_SECRET = 'api-test-jwt-secret-0123456789';
export const TOKENS = {
  agent: 'agent-token-1',
  analyst: 'analyst-token-1',
  service: 'service-token-1',
  admin: 'admin-token-1',
} as const;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface ApiHarness {
  app: FastifyInstance;
  runtime: EmbeddedRuntime;
  database: string;
  /** A new chDB session on the lake's data directory, as the API opens one per analyst query. */
  openSqlClient(): ClickHouseClient;
  dataDir: string;
  consoleDir: string;
  /** Feeds a replay file through the real pipeline and flushes it to ClickHouse. */
  replay(file: string): Promise<void>;
  /** A second API over the same ClickHouse data whose memory holds no orders: every lookup goes to ClickHouse. */
  remoteApp(): Promise<FastifyInstance>;
  close(): Promise<void>;
}

/** The expected golden views of the fixture (contract examples), by order id. */
export async function expectedViews(): Promise<Map<string, Record<string, unknown>>> {
  const text = await readFile(FIXTURE_GOLDEN, 'utf8');
  const views = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return new Map(views.map((v) => [String(v.order_id), v]));
}

/** The fixture's replay lines with their 1-based line numbers. */
export async function fixtureLines(): Promise<Array<{ line: number; topic: string; key: unknown; value: Record<string, any> | null }>> {
  const text = await readFile(FIXTURE, 'utf8');
  return text
    .split('\n')
    .map((l, i) => ({ l, line: i + 1 }))
    .filter(({ l }) => l.trim() !== '')
    .map(({ l, line }) => ({ line, ...(JSON.parse(l) as { topic: string; key: unknown; value: Record<string, any> | null }) }));
}

/** Console files in a temp folder, plus a secret file next to it and a symlink pointing at it, for traversal tests. */
async function makeConsoleDir(root: string): Promise<string> {
  const dir = path.join(root, 'console');
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>orderlake console</title>');
  await writeFile(path.join(dir, 'console.js'), 'export const ok = true;\n');
  await writeFile(path.join(dir, 'console.css'), 'body { margin: 0 }\n');
  await writeFile(path.join(dir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(path.join(dir, 'notes.bin'), 'unknown type');
  await writeFile(path.join(root, 'secret.txt'), 'top secret');
  await symlink(path.join(root, 'secret.txt'), path.join(dir, 'leak.txt'));
  return dir;
}

/** The runtime's API (`createRuntimeApi`, as `orderlake start` builds it) with the test tokens, a test console folder and given limits. */
function apiFor(
  h: { runtime: EmbeddedRuntime; config: Config; dataPath: string; consoleDir: string },
  store: GoldenStore,
): Promise<FastifyInstance> {
  return createRuntimeApi(h.config, pino({ level: 'silent' }), h.runtime, {
    dataPath: h.dataPath,
    auth: createAuthenticator({
      tokens: (Object.keys(TOKENS) as Array<keyof typeof TOKENS>).map((role) => ({ token: TOKENS[role], role, name: `${role}-user` })),
      jwtSecret: JWT_SECRET,
    }),
    overrides: {
      store,
      consoleDir: h.consoleDir,
      orphans: { list: () => h.runtime.linker.orphans(Date.now(), 0), afterMs: 0 },
    },
  });
}

/**
 * The real embedded pipeline (codec, normalize, merge, chDB sink) over the contract's forty-order
 * example, on a fresh chDB directory, with the API on top. chDB binds one data directory per
 * process, and vitest runs each test file in its own process: one harness per file.
 */
export async function startApiHarness(limits: { maxResultRows?: number; maxExecutionSeconds?: number } = {}): Promise<ApiHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-api-'));
  const config = loadConfig(
    {
      LOG_LEVEL: 'silent',
      ORDERLAKE_DATA_DIR: dataDir,
      ORDERLAKE_SQL_MAX_RESULT_ROWS: String(limits.maxResultRows ?? 10_000),
      ORDERLAKE_SQL_MAX_EXECUTION_SECONDS: String(limits.maxExecutionSeconds ?? 10),
    },
    REPO_ROOT,
  );
  const logger = pino({ level: 'silent' });
  const database = 'orderlake_api_test';
  const dataPath = path.join(dataDir, 'lake');
  const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, recreate: true });
  const openSqlClient = () => createClickHouseClient({ database, dataPath });
  const consoleDir = await makeConsoleDir(dataDir);
  const parts = { runtime, config, dataPath, consoleDir };

  const replay = (file: string) => replayInto(runtime, file);


  await replay(FIXTURE);
  const app = await apiFor(parts, runtime.store);
  await app.ready();
  const others: FastifyInstance[] = [];
  return {
    app,
    runtime,
    database,
    openSqlClient,
    dataDir,
    consoleDir,
    replay,
    async remoteApp() {
      const other = await apiFor(parts, createGoldenStore({ now: Date.now }));
      others.push(other);
      return other;
    },
    async close() {
      for (const other of others) await other.close();
      await app.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A view without its processing-time fields, to compare with the contract's expected views. */
export function withoutVolatile(view: GoldenView | Record<string, unknown>): Record<string, unknown> {
  const { version: _v, updated_at: _u, ...rest } = view as Record<string, unknown>;
  return rest;
}
