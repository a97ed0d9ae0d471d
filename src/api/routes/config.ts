import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/index.js';
import { bearerSecurity, protectedErrors } from './route-schemas.js';

/** What the runtime reports about its live configuration (times epoch ms); the route turns it into JSON. */
export interface ConfigStatusBody {
  active: {
    version: string;
    since: number;
    source: string;
    savedAt: number | null;
    changed: readonly string[];
    config: {
      hash: string;
      files: ReadonlyArray<{ kind: string; name: string; changedAt: number }>;
      pipelines: ReadonlyArray<{ name: string; topic: string }>;
      rules: ReadonlyArray<{ name: string }>;
    };
  };
  pending: string | null;
  history: ReadonlyArray<{
    version: string;
    status: string;
    source: string;
    at: number;
    savedAt: number | null;
    responseMs: number | null;
    changed: readonly string[];
    problems?: ReadonlyArray<{ file: string; path: string; line?: number; column?: number; message: string }>;
  }>;
  published: ReadonlyArray<{ version: string; publishedAt: number; changedAt: number; worker: string; changed: readonly string[] }>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const str = (description: string) => ({ type: 'string', description }) as const;
const time = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;
const nullableTime = (description: string) => ({ type: ['string', 'null'], format: 'date-time', description }) as const;
const strings = (description: string) => ({ type: 'array', items: { type: 'string' }, description }) as const;

const configSchema = {
  type: 'object',
  properties: {
    version: str('The version live on this worker: the first 16 hex digits of `hash`.'),
    hash: str('SHA-256 of every pipeline and rule file (kind, name, text): the same files give the same hash on every worker.'),
    since: time('When this version went live on this worker.'),
    source: { type: 'string', enum: ['start', 'files', 'shared'], description: 'start-up, a change of this worker\'s files, or a version another worker published.' },
    saved_at: nullableTime('When the change that made it was saved (newest modification time of the files it changed); null at start.'),
    response_ms: { type: ['integer', 'null'], description: 'saved_at → since, ms (the strategy-change response time on this worker).' },
    changed: strings('Files changed against the version before (`pipelines/<name>` or `rules/<name>`).'),
    pending: { type: ['string', 'null'], description: 'A checked version waiting for the next batch boundary.' },
    files: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: { type: 'string', enum: ['pipelines', 'rules'] }, name: str('File name.'), changed_at: time('Modification time.') },
        required: ['kind', 'name', 'changed_at'],
      },
    },
    pipelines: { type: 'array', items: { type: 'object', properties: { name: str('Pipeline name.'), topic: str('Source topic.') }, required: ['name', 'topic'] } },
    rules: strings('Health rules of this version.'),
    history: {
      type: 'array',
      description: "This worker's versions, newest first: each one that went live, and each change refused (with why).",
      items: {
        type: 'object',
        properties: {
          version: str('Version.'),
          status: { type: 'string', enum: ['live', 'refused'] },
          source: { type: 'string', enum: ['start', 'files', 'shared'] },
          at: time('When it went live, or was refused.'),
          saved_at: nullableTime('When the change was saved.'),
          response_ms: { type: ['integer', 'null'], description: 'saved_at → live, ms.' },
          changed: strings('Files changed.'),
          problems: {
            type: 'array',
            description: 'Why it was refused: file, path inside it, line and column, reason.',
            items: {
              type: 'object',
              properties: { file: str('File.'), path: str('Path inside the file.'), line: { type: 'integer' }, column: { type: 'integer' }, reason: str('What was expected.') },
              required: ['file', 'path', 'reason'],
            },
          },
        },
        required: ['version', 'status', 'source', 'at', 'saved_at', 'response_ms', 'changed'],
      },
    },
    published: {
      type: 'array',
      description: 'The shared log every worker follows (config_versions), newest first; the newest is what every worker switches to.',
      items: {
        type: 'object',
        properties: { version: str('Version.'), published_at: time('Published.'), changed_at: time('Saved.'), worker: str('Worker that published it.'), changed: strings('Files changed.') },
        required: ['version', 'published_at', 'changed_at', 'worker', 'changed'],
      },
    },
  },
  required: ['version', 'hash', 'since', 'source', 'saved_at', 'response_ms', 'changed', 'pending', 'files', 'pipelines', 'rules', 'history', 'published'],
} as const;

/** `GET /config`: the pipeline and rule version live on this worker, since when, and its history (admin, analyst). */
export function registerConfigRoutes(app: FastifyInstance, deps: { status: () => Promise<ConfigStatusBody> }): void {
  app.get(
    '/config',
    {
      onRequest: requireRole('admin', 'analyst'),
      schema: {
        tags: ['operations'],
        summary: 'The live pipeline and rule configuration: version, hash, since when, history',
        security: bearerSecurity,
        response: { 200: configSchema, ...protectedErrors },
      },
    },
    async () => {
      const { active, pending, history, published } = await deps.status();
      return {
        version: active.version,
        hash: active.config.hash,
        since: iso(active.since),
        source: active.source,
        saved_at: isoOrNull(active.savedAt),
        response_ms: active.savedAt === null ? null : Math.max(0, Math.round(active.since - active.savedAt)),
        changed: [...active.changed],
        pending,
        files: active.config.files.map((f) => ({ kind: f.kind, name: f.name, changed_at: iso(f.changedAt) })),
        pipelines: active.config.pipelines.map((p) => ({ name: p.name, topic: p.topic })),
        rules: active.config.rules.map((r) => r.name),
        history: history.map((h) => ({
          version: h.version,
          status: h.status,
          source: h.source,
          at: iso(h.at),
          saved_at: isoOrNull(h.savedAt),
          response_ms: h.responseMs === null ? null : Math.round(h.responseMs),
          changed: [...h.changed],
          ...(h.problems ? { problems: h.problems.map((p) => ({ file: p.file, path: p.path, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.column !== undefined ? { column: p.column } : {}), reason: p.message })) } : {}),
        })),
        published: published.map((p) => ({ version: p.version, published_at: iso(p.publishedAt), changed_at: iso(p.changedAt), worker: p.worker, changed: [...p.changed] })),
      };
    },
  );
}
