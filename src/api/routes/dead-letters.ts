import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/index.js';
import { HttpError } from '../http-error.js';
import { redriveFilters, type RedriveFilters, type RedriveSummary } from '../../pipeline/redrive.js';
import { bearerSecurity, protectedErrors } from './route-schemas.js';

interface RedriveBody {
  since: string;
  until?: string;
  code?: string;
  limit?: number;
}

const counts = { type: 'object', additionalProperties: { type: 'integer' } } as const;

/**
 * `POST /admin/dead-letters/redrive` (admin only): `orderlake redrive` on this worker — its current
 * pipelines, its mode's way of applying (Kafka: produced for the merge; embedded: this process's
 * pipeline). Answers once the run is over, with its counts.
 */
export function registerDeadLetterRoutes(app: FastifyInstance, deps: { redrive: (filters: RedriveFilters) => Promise<RedriveSummary>; now: () => number }): void {
  app.post<{ Body: RedriveBody }>(
    '/admin/dead-letters/redrive',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['dead letters'],
        summary: 'Re-drive dead letters through the current pipelines',
        description:
          'Dead letters of the ingest stage (decode, normalize) dead-lettered in [since, until) — optionally only those failing ' +
          'with `code` now, at most `limit` — are decoded and normalized again; the cured ones are applied once and marked cured ' +
          '(`dead_letter_redrives`), the rest keep failing with their code now. Link and merge dead letters, and cured ones, are skipped. ' +
          'Times: ISO 8601 with a zone, or a duration ago (`30m`, `2h`, `7d`).',
        security: bearerSecurity,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { type: 'string', minLength: 1, maxLength: 64 },
            until: { type: 'string', minLength: 1, maxLength: 64 },
            code: { type: 'string', minLength: 1, maxLength: 64 },
            limit: { type: 'integer', minimum: 1, maximum: 10_000_000 },
          },
          required: ['since'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              run_id: { type: 'string' },
              config_version: { type: 'string' },
              selected: { type: 'integer' },
              cured: { type: 'integer' },
              applied_events: { type: 'integer' },
              still_failing: counts,
              code_changed: { type: 'integer' },
              skipped: counts,
              limited: { type: 'boolean' },
            },
            required: ['run_id', 'config_version', 'selected', 'cured', 'applied_events', 'still_failing', 'code_changed', 'skipped', 'limited'],
          },
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const filters = redriveFilters(request.body, deps.now(), (field) => `body/${field}`);
      if (typeof filters === 'string') throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', filters);
      const s = await deps.redrive(filters);
      return {
        run_id: s.runId,
        config_version: s.configVersion,
        selected: s.selected,
        cured: s.cured,
        applied_events: s.appliedEvents,
        still_failing: s.stillFailing,
        code_changed: s.codeChanged,
        skipped: s.skipped,
        limited: s.limited,
      };
    },
  );
}
