import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { orderFilter } from '../../sandbox/index.js';
import { parseTimeArg, TIME_ARG_EXPECTED } from '../../time-arg.js';
import { OrderlakeError, type ErrorCode } from '../../errors.js';
import { rulesDirectoryOf } from '../../health/index.js';
import type { SandboxRequest } from '../../runtime/run-sandbox.js';
import type { SandboxReport } from '../../sandbox/index.js';
import { requireRole } from '../auth/index.js';
import { HttpError, errorBodySchema } from '../http-error.js';
import { bearerSecurity, protectedErrors, sandboxBodySchema, sandboxReportSchema, sandboxStatusSchema } from './route-schemas.js';

/** Orders per batch of a run started here: what bounds its memory (the CLI's `--batch` default). */
export const SANDBOX_BATCH_ORDERS = 200;

/** An uploaded file's name: a plain name (no folder, no leading dot) ending .yaml or .yml. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*\.ya?ml$/;
const isYaml = (name: string) => name.endsWith('.yaml') || name.endsWith('.yml');

interface CandidateBody {
  files?: Array<{ name: string; text: string }>;
  dir?: string;
}

interface SandboxBody {
  from: string;
  to: string;
  orders?: string;
  pipelines: CandidateBody;
  rules?: CandidateBody;
}

type Candidate = { files: Array<{ name: string; text: string }> } | { dir: string };

export interface SandboxRouteDeps {
  /** Production's pipelines folder: uploaded pipeline files are laid over a copy of its files, uploaded rules over its `rules/`. */
  pipelinesDir: string;
  /** One sandbox run against production's ClickHouse (`runSandboxOn` on a ClickHouse client of its own). */
  run: (request: SandboxRequest) => Promise<SandboxReport>;
  logger: Logger;
  /** Where the temporary candidate folders go. Default: the OS temp folder. */
  tmpRoot?: string;
}

/** The error codes a candidate that does not load fails with: the caller's files are wrong, not the server. */
const CANDIDATE_ERRORS = new Set<ErrorCode>(['OL_ERR_PIPELINE_INVALID', 'OL_ERR_RULE_INVALID', 'OL_ERR_SCHEMA_INVALID', 'OL_ERR_CONFIG_INVALID']);

/**
 * `POST /admin/sandbox` and its `GET` (is one running, production's files), admins only: `orderlake sandbox` on this
 * process's ClickHouse, for the console. Uploaded files go to a fresh temporary folder over a copy
 * of production's files (so one changed file is enough) and are removed afterwards; runs go one at
 * a time (a second one gets 409). Returns `app` so the composition root can chain it.
 */
export function registerSandboxRoutes(app: FastifyInstance, deps: SandboxRouteDeps): FastifyInstance {
  const log = deps.logger.child({ component: 'sandbox' });
  let running: { since: number; by: string } | null = null;

  app.get(
    '/admin/sandbox',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['sandbox'],
        summary: 'Whether a sandbox run is going on, and production\'s files the uploads are laid over',
        security: bearerSecurity,
        response: { 200: sandboxStatusSchema, ...protectedErrors },
      },
    },
    async () => ({
      running: running !== null,
      since: running ? new Date(running.since).toISOString() : null,
      by: running?.by ?? null,
      pipelines: await yamlNames(deps.pipelinesDir),
      rules: await yamlNames(rulesDirectoryOf(deps.pipelinesDir)),
      batch_orders: SANDBOX_BATCH_ORDERS,
    }),
  );

  app.post<{ Body: SandboxBody }>(
    '/admin/sandbox',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['sandbox'],
        summary: 'Try candidate pipeline files on recorded history and diff against production',
        description:
          'What `orderlake sandbox` does, on this process\'s ClickHouse: every order production\'s lake shows touched in [from, to) ' +
          '(Kafka time; optionally only `orders`) is rebuilt from all its stored source messages with the candidate pipelines and ' +
          'compared with production\'s golden view. Candidate files are uploaded (`files`: laid over a copy of production\'s ' +
          'pipeline folder — or its `rules/` — so one changed file is enough) or named as a folder on the server (`dir`). ' +
          'Nothing is written to ClickHouse. Answers once the run is over with the whole report: totals, changed orders with each ' +
          'field\'s production and candidate value, status moves, view exceptions opened and closed, dead letters created and cured. ' +
          'Candidate files that do not load give 400 with the code (`OL_ERR_PIPELINE_INVALID`, `OL_ERR_RULE_INVALID`) and each ' +
          'problem as `file:line:column: path: expectation`; one run at a time per process (409 `OL_ERR_SANDBOX_BUSY`).',
        security: bearerSecurity,
        body: sandboxBodySchema,
        response: {
          200: sandboxReportSchema,
          ...protectedErrors,
          400: { ...errorBodySchema, description: 'The request does not match the schema, a file name or folder is refused, or a candidate file does not load (the code says which).' },
          409: { ...errorBodySchema, description: 'Another sandbox run is going on in this process (`OL_ERR_SANDBOX_BUSY`).' },
        },
      },
    },
    async (request) => {
      const body = request.body;
      const window = windowOf(body.from, body.to);
      const orders = body.orders === undefined ? null : ordersOf(body.orders);
      const pipelines = candidateOf(body.pipelines, 'pipelines');
      const rules = body.rules === undefined ? null : candidateOf(body.rules, 'rules');
      const pipelinesDir = 'dir' in pipelines ? await existingDir(pipelines.dir, 'pipelines') : null;
      const rulesDir = rules !== null && 'dir' in rules ? await existingDir(rules.dir, 'rules') : null;

      if (running !== null) {
        throw new HttpError(409, 'OL_ERR_SANDBOX_BUSY', `a sandbox run started by ${running.by} at ${new Date(running.since).toISOString()} is still going on; runs go one at a time, try again when it is over`);
      }
      const by = request.principal?.name ?? 'unknown';
      running = { since: Date.now(), by };
      let tmp: string | null = null;
      try {
        let candidatePipelines = pipelinesDir;
        let candidateRules = rulesDir;
        if ('files' in pipelines || (rules !== null && 'files' in rules)) tmp = await mkdtemp(path.join(deps.tmpRoot ?? tmpdir(), 'orderlake-sandbox-'));
        if ('files' in pipelines) candidatePipelines = await overlay(path.join(tmp!, 'pipelines'), deps.pipelinesDir, pipelines.files);
        if (rules !== null && 'files' in rules) candidateRules = await overlay(path.join(tmp!, 'rules'), rulesDirectoryOf(deps.pipelinesDir), rules.files);

        log.info({ by, window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() }, orders: body.orders ?? null }, 'sandbox run started');
        const report = await deps
          .run({
            pipelines: candidatePipelines!,
            rules: candidateRules,
            window,
            orders,
            batchOrders: SANDBOX_BATCH_ORDERS,
            progress: (line) => log.info(line),
          })
          .catch((err: unknown) => {
            if (err instanceof OrderlakeError && CANDIDATE_ERRORS.has(err.code)) {
              throw new HttpError(400, err.code, tmp === null ? err.message : err.message.split(`${tmp}${path.sep}`).join(''), { cause: err });
            }
            throw err;
          });
        log.info({ by, totals: report.totals, seconds: report.seconds }, 'sandbox run finished');
        // The temporary folders are gone once this answers: name what they held instead.
        return {
          ...report,
          pipelines: 'files' in pipelines ? `${uploadLabel(pipelines.files)} over ${deps.pipelinesDir}` : report.pipelines,
          rules: rules !== null && 'files' in rules ? `${uploadLabel(rules.files)} over ${rulesDirectoryOf(deps.pipelinesDir)}` : report.rules,
        };
      } finally {
        running = null;
        if (tmp !== null) await rm(tmp, { recursive: true, force: true }).catch((err: unknown) => log.warn({ err, dir: tmp }, 'cannot remove the sandbox\'s temporary folder'));
      }
    },
  );
  return app;
}

/** [from, to) from the body, read as the CLI reads `--from` and `--to`. */
function windowOf(fromText: string, toText: string): { from: number; to: number } {
  const now = Date.now();
  const read = (field: 'from' | 'to', text: string): number => {
    const ms = parseTimeArg(text, now);
    if (ms === null) throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', `body/${field}: ${TIME_ARG_EXPECTED}, got '${text}'`);
    return ms;
  };
  const from = read('from', fromText);
  const to = read('to', toText);
  if (to <= from) throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', 'body/to must be after body/from');
  return { from, to };
}

/** `orders` as the CLI reads `--orders`. */
function ordersOf(text: string): NonNullable<SandboxRequest['orders']> {
  const accept = orderFilter(text);
  if (accept === null) throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', 'body/orders must name at least one order id or pattern (comma-separated; * matches any characters)');
  return { text, accept };
}

/** Exactly one of `files` and `dir`, with every file name a plain YAML file name, each once. */
function candidateOf(body: CandidateBody, field: 'pipelines' | 'rules'): Candidate {
  if ((body.files === undefined) === (body.dir === undefined)) {
    throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', `body/${field} must have exactly one of files (uploaded) and dir (a folder on the server)`);
  }
  if (body.dir !== undefined) return { dir: body.dir };
  const seen = new Set<string>();
  for (const [i, file] of body.files!.entries()) {
    if (!FILE_NAME.test(file.name)) {
      throw new HttpError(
        400,
        'OL_ERR_HTTP_BAD_REQUEST',
        `body/${field}/files/${i}/name must be a plain file name ending .yaml or .yml (letters, digits, '.', '_', '-'; no folder), got ${JSON.stringify(file.name)}`,
      );
    }
    if (seen.has(file.name)) throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', `body/${field}/files: ${file.name} is uploaded more than once`);
    seen.add(file.name);
  }
  return { files: body.files! };
}

/** A folder named by the caller, resolved on the server; 400 when it is not an existing folder. */
async function existingDir(dir: string, field: 'pipelines' | 'rules'): Promise<string> {
  const resolved = path.resolve(dir);
  const info = await stat(resolved).catch(() => null);
  if (info === null || !info.isDirectory()) throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', `body/${field}/dir: no folder ${resolved} on the server`);
  return resolved;
}

/** `dir` holding production's YAML files of `base` (none when it does not exist) with `files` written over them. */
async function overlay(dir: string, base: string, files: ReadonlyArray<{ name: string; text: string }>): Promise<string> {
  await mkdir(dir);
  for (const name of await yamlNames(base)) await copyFile(path.join(base, name), path.join(dir, name));
  for (const file of files) await writeFile(path.join(dir, file.name), file.text);
  return dir;
}

/** The YAML files directly in `dir`, sorted; none when it cannot be read. */
async function yamlNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && isYaml(e.name)).map((e) => e.name).sort();
}

function uploadLabel(files: ReadonlyArray<{ name: string }>): string {
  return `uploaded ${files.map((f) => f.name).join(', ')}`;
}
