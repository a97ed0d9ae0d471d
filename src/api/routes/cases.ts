import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import { OrderlakeError } from '../../errors.js';
import { SEVERITIES, type AgentAction, type HealthCase } from '../../health/index.js';
import { getStoredCase, searchCases, type CaseSearch } from '../../sinks/index.js';
import { requireRole } from '../auth/index.js';
import { HttpError, errorBodySchema } from '../http-error.js';
import { bearerSecurity, orderIdParams, protectedErrors } from './route-schemas.js';

/** What the case routes need of the running health stage (absent when the rules are off). */
export interface CaseActions {
  get(caseId: string): HealthCase | undefined;
  casesOfOrder(orderId: string): HealthCase[];
  act(caseId: string, action: AgentAction): HealthCase;
}

export interface CaseRouteDeps {
  /** The worker's health stage: live cases and agent actions. */
  health: CaseActions | undefined;
  /** Stored cases (every worker's), for lists and searches. */
  client: ClickHouseClient;
  database: string;
  /** Wall clock of agent actions, epoch ms. */
  now: () => number;
}

export const MAX_CASES = 1000;
export const DEFAULT_CASES = 200;

const isoTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** A case as the API returns it (see `HealthCase` in src/health/health-case.ts). */
export const caseSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    case_id: { type: 'string' },
    rule: { type: 'string' },
    subject: { type: 'string', enum: ['order', 'shipment', 'source'] },
    order_id: { type: ['string', 'null'] },
    tracking_no: { type: ['string', 'null'] },
    source: { type: ['string', 'null'] },
    description: { type: 'string' },
    severity: { type: 'string', enum: [...SEVERITIES] },
    queue: { type: 'string' },
    playbook: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { step: { type: 'string' }, action: { type: ['string', 'null'] }, link: { type: ['string', 'null'] } },
        required: ['step', 'action', 'link'],
      },
    },
    status: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
    at_risk: { type: 'boolean' },
    channel: { type: ['string', 'null'] },
    threshold_ms: { type: 'integer' },
    since: { type: 'string', format: 'date-time' },
    due_at: isoTime,
    opened_at: { type: 'string', format: 'date-time' },
    at_risk_at: isoTime,
    breached_at: isoTime,
    updated_at: { type: 'string', format: 'date-time' },
    resolved_at: isoTime,
    resolution: { type: ['string', 'null'], enum: ['self_healed', 'by_agent', null] },
    assignee: { type: ['string', 'null'] },
    evidence: { type: 'object', additionalProperties: true, description: 'The values that made the rule fire' },
    version: { type: 'integer' },
    history: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { at: { type: 'string' }, by: { type: 'string' }, action: { type: 'string' }, note: { type: ['string', 'null'] } },
        required: ['at', 'by', 'action', 'note'],
      },
    },
  },
  required: ['case_id', 'rule', 'subject', 'severity', 'queue', 'status', 'opened_at', 'version', 'history', 'playbook'],
} as const;

const caseIdParams = {
  type: 'object',
  additionalProperties: false,
  properties: { case_id: { type: 'string', minLength: 1, maxLength: 128, description: 'Case id' } },
  required: ['case_id'],
} as const;

const list = (description: string) => ({ type: 'string', minLength: 1, maxLength: 1000, description }) as const;

const STATUSES = ['active', 'open', 'acknowledged', 'resolved', 'all'] as const;

const actionBody = {
  type: 'object',
  oneOf: [
    { type: 'object', additionalProperties: false, properties: { action: { const: 'acknowledge' } }, required: ['action'] },
    {
      type: 'object',
      additionalProperties: false,
      properties: { action: { const: 'assign' }, assignee: { type: 'string', minLength: 1, maxLength: 200 } },
      required: ['action', 'assignee'],
    },
    {
      type: 'object',
      additionalProperties: false,
      properties: { action: { const: 'comment' }, text: { type: 'string', minLength: 1, maxLength: 4000 } },
      required: ['action', 'text'],
    },
    {
      type: 'object',
      additionalProperties: false,
      properties: { action: { const: 'resolve' }, note: { type: 'string', maxLength: 4000 } },
      required: ['action'],
    },
  ],
} as const;

type ActionBody =
  | { action: 'acknowledge' }
  | { action: 'assign'; assignee: string }
  | { action: 'comment'; text: string }
  | { action: 'resolve'; note?: string };

/** Splits a comma-separated filter value; empty items are ignored. */
function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length > 0 ? items : undefined;
}

function toAction(body: ActionBody, by: string, at: number): AgentAction {
  switch (body.action) {
    case 'acknowledge':
      return { type: 'acknowledge', by, at };
    case 'assign':
      return { type: 'assign', by, at, assignee: body.assignee };
    case 'comment':
      return { type: 'comment', by, at, text: body.text };
    case 'resolve':
      return { type: 'resolve', by, at, ...(body.note !== undefined ? { note: body.note } : {}) };
  }
}

/**
 * Exception cases: the queue (searched in ClickHouse, every worker's cases), one case, an order's
 * cases, and agent actions (acknowledge, assign, comment, resolve) on the cases this worker holds.
 */
export function registerCaseRoutes(app: FastifyInstance, deps: CaseRouteDeps): void {
  const agent = requireRole('agent');
  const notFound = { ...errorBodySchema, description: 'No such case.' };
  const caseNotFound = (caseId: string) => new HttpError(404, 'OL_ERR_CASE_NOT_FOUND', `no case ${caseId}`);

  app.get<{ Querystring: { queue?: string; severity?: string; rule?: string; status?: (typeof STATUSES)[number]; order_id?: string; tracking_no?: string; limit?: number } }>(
    '/cases',
    {
      onRequest: agent,
      schema: {
        tags: ['cases'],
        summary: 'Exception cases in queue order (severity, then age)',
        description:
          'Cases the health rules opened, from ClickHouse (every worker\'s). Filters take comma-separated lists. ' +
          '`status=active` (the default) lists open and acknowledged cases. The order is stable: severity ' +
          '(critical, warning, info), then opened_at (oldest first), then case_id.',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            queue: list('Queues, comma-separated'),
            severity: list(`Severities, comma-separated: ${SEVERITIES.join(', ')}`),
            rule: list('Rule names, comma-separated'),
            status: { type: 'string', enum: [...STATUSES], default: 'active' },
            order_id: { type: 'string', minLength: 1, maxLength: 256 },
            tracking_no: { type: 'string', minLength: 1, maxLength: 256 },
            limit: { type: 'integer', minimum: 1, maximum: MAX_CASES, default: DEFAULT_CASES },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            properties: { cases: { type: 'array', items: caseSchema }, truncated: { type: 'boolean' } },
            required: ['cases', 'truncated'],
          },
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const severities = splitList(q.severity);
      const unknown = severities?.filter((s) => !(SEVERITIES as readonly string[]).includes(s)) ?? [];
      if (unknown.length > 0) {
        throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', `querystring/severity: unknown severity ${unknown.join(', ')}; expected ${SEVERITIES.join(', ')}`);
      }
      const queues = splitList(q.queue);
      const rules = splitList(q.rule);
      const search: CaseSearch = {
        limit: q.limit ?? DEFAULT_CASES,
        status: q.status ?? 'active',
        ...(queues ? { queues } : {}),
        ...(severities ? { severities } : {}),
        ...(rules ? { rules } : {}),
        ...(q.order_id !== undefined ? { orderId: q.order_id } : {}),
        ...(q.tracking_no !== undefined ? { trackingNo: q.tracking_no } : {}),
      };
      return searchCases({ client: deps.client, database: deps.database, search });
    },
  );

  app.get<{ Params: { case_id: string } }>(
    '/cases/:case_id',
    {
      onRequest: agent,
      schema: {
        tags: ['cases'],
        summary: 'One exception case, with its playbook, evidence and history',
        security: bearerSecurity,
        params: caseIdParams,
        response: { 200: caseSchema, ...protectedErrors, 404: notFound },
      },
    },
    async (request) => {
      const { case_id: caseId } = request.params;
      const held = deps.health?.get(caseId) ?? (await getStoredCase({ client: deps.client, database: deps.database, caseId }));
      if (held === null || held === undefined) throw caseNotFound(caseId);
      return held;
    },
  );

  app.get<{ Params: { order_id: string } }>(
    '/orders/:order_id/cases',
    {
      onRequest: agent,
      schema: {
        tags: ['cases'],
        summary: "An order's exception cases, resolved ones included",
        security: bearerSecurity,
        params: orderIdParams,
        response: {
          200: { type: 'object', additionalProperties: false, properties: { cases: { type: 'array', items: caseSchema } }, required: ['cases'] },
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const orderId = request.params.order_id;
      const stored = await searchCases({ client: deps.client, database: deps.database, search: { orderId, status: 'all', limit: MAX_CASES } });
      // The worker's own copies are the newest (the stored ones follow within a flush).
      const byId = new Map(stored.cases.map((c) => [c.case_id, c]));
      for (const held of deps.health?.casesOfOrder(orderId) ?? []) {
        const known = byId.get(held.case_id);
        if (known === undefined || known.version < held.version) byId.set(held.case_id, held);
      }
      return { cases: [...byId.values()].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.opened_at < b.opened_at ? -1 : 1)) };
    },
  );

  app.post<{ Params: { case_id: string }; Body: ActionBody }>(
    '/cases/:case_id/actions',
    {
      onRequest: agent,
      schema: {
        tags: ['cases'],
        summary: 'Acknowledge, assign, comment on or resolve a case',
        description:
          'Recorded in the case history with the caller\'s name and the time. Acknowledge needs an open case; ' +
          'assign and resolve an unresolved one; a comment fits any case. A case resolved by an agent has ' +
          'resolution `by_agent`. Only the worker holding the case\'s order can act on it (one worker in embedded mode).',
        security: bearerSecurity,
        params: caseIdParams,
        body: actionBody,
        response: {
          200: caseSchema,
          ...protectedErrors,
          404: notFound,
          409: { ...errorBodySchema, description: 'The action does not fit the case\'s state, or another worker holds the case.' },
        },
      },
    },
    async (request) => {
      const { case_id: caseId } = request.params;
      if (deps.health === undefined) throw new HttpError(409, 'OL_ERR_CASE_ACTION_REFUSED', 'the health rules are off on this worker (ORDERLAKE_HEALTH=off)');
      const by = request.principal?.name ?? 'unknown';
      try {
        return deps.health.act(caseId, toAction(request.body, by, deps.now()));
      } catch (err) {
        if (err instanceof OrderlakeError && err.code === 'OL_ERR_CASE_ACTION_REFUSED') throw new HttpError(409, err.code, err.message);
        if (err instanceof OrderlakeError && err.code === 'OL_ERR_CASE_NOT_FOUND') {
          const stored = await getStoredCase({ client: deps.client, database: deps.database, caseId });
          if (stored === null) throw caseNotFound(caseId);
          throw new HttpError(409, 'OL_ERR_CASE_ACTION_REFUSED', `case ${caseId} is held by another worker (the one owning its order's partition); send the action there`);
        }
        throw err;
      }
    },
  );
}
