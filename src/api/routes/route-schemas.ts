import { errorBodySchema } from '../http-error.js';

/** The OpenAPI security requirement of routes that need a bearer token. */
export const bearerSecurity = [{ bearerAuth: [] }];

/** Error responses every protected route can give, for its response schema. */
export const protectedErrors = {
  400: { ...errorBodySchema, description: 'The request does not match the schema; the message says what is wrong.' },
  401: { ...errorBodySchema, description: 'No valid bearer token (missing, unknown, bad signature, expired).' },
  403: { ...errorBodySchema, description: 'The token\'s role does not allow this route.' },
} as const;

export const orderIdParams = {
  type: 'object',
  additionalProperties: false,
  properties: { order_id: { type: 'string', minLength: 1, maxLength: 256, description: 'CRM order id' } },
  required: ['order_id'],
} as const;

/** Most candidate files one sandbox request may upload, per folder (pipelines, rules). */
export const SANDBOX_MAX_FILES = 50;
/** Longest uploaded candidate file, characters (the shipped pipeline files are a few KiB each). */
export const SANDBOX_MAX_FILE_CHARS = 256 * 1024;

/** Candidate pipeline or rule files of `POST /admin/sandbox`: uploaded texts, or a folder on the server. */
const sandboxCandidate = (what: 'pipeline' | 'rule') =>
  ({
    type: 'object',
    additionalProperties: false,
    description:
      `Exactly one of \`files\` (${what} files uploaded: written over a copy of production's ${what} files, so one changed file is enough) ` +
      `or \`dir\` (a folder of ${what} files on the server, used as it is).`,
    properties: {
      files: {
        type: 'array',
        minItems: 1,
        maxItems: SANDBOX_MAX_FILES,
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128, description: 'a plain file name ending .yaml or .yml (no folder)' },
            text: { type: 'string', maxLength: SANDBOX_MAX_FILE_CHARS, description: 'the file\'s YAML text' },
          },
          required: ['name', 'text'],
        },
      },
      dir: { type: 'string', minLength: 1, maxLength: 4096, description: 'an existing folder on the server (relative paths from the server\'s working directory)' },
    },
  }) as const;

/** Body of `POST /admin/sandbox`. */
export const sandboxBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', minLength: 1, maxLength: 64, description: 'window start, included: ISO 8601 with its zone, or epoch milliseconds' },
    to: { type: 'string', minLength: 1, maxLength: 64, description: 'window end, excluded: ISO 8601 with its zone, or epoch milliseconds' },
    orders: { type: 'string', minLength: 1, maxLength: 10_000, description: 'comma-separated order ids; `*` matches any characters (`SO-0001*`)' },
    pipelines: sandboxCandidate('pipeline'),
    rules: sandboxCandidate('rule'),
  },
  required: ['from', 'to', 'pipelines'],
} as const;

const anyValue = {} as const;
const looseObject = { type: 'object', additionalProperties: true } as const;

/**
 * The sandbox report (`SandboxReport` of src/sandbox) as `POST /admin/sandbox` answers it. Loose on
 * purpose: the report grows (fields a change touches hold any JSON value; `cases` is being
 * extended), and a strict response schema would silently drop what it does not name.
 */
export const sandboxReportSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    window: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } }, required: ['from', 'to'] },
    pipelines: { type: 'string', description: 'the candidate pipelines: files uploaded over production\'s folder, or the folder given' },
    rules: { type: ['string', 'null'] },
    orders_filter: { type: ['string', 'null'] },
    generated_at: { type: 'string' },
    totals: { type: 'object', additionalProperties: { type: 'integer' } },
    status_moves: { type: 'array', items: looseObject },
    exceptions: looseObject,
    orders: { type: 'array', description: 'orders whose view changes: `fields` holds each path with `before` (production) and `after` (candidate)', items: looseObject },
    dead_letters: looseObject,
    incomplete: { type: 'array', items: looseObject },
    cases: anyValue,
    seconds: { type: 'number' },
  },
  required: ['window', 'totals', 'orders', 'status_moves', 'exceptions', 'dead_letters'],
} as const;

/** Answer of `GET /admin/sandbox`: whether the caller may run the sandbox, whether a run is going on, and production's files that uploads are laid over. */
export const sandboxStatusSchema = {
  type: 'object',
  properties: {
    running: { type: 'boolean' },
    since: { type: ['string', 'null'], description: 'when the run going on started (ISO 8601 UTC)' },
    by: { type: ['string', 'null'], description: 'who started it (token name)' },
    pipelines: { type: 'array', items: { type: 'string' }, description: 'production\'s pipeline files: uploaded files are laid over these' },
    rules: { type: 'array', items: { type: 'string' }, description: 'production\'s rule files' },
    batch_orders: { type: 'integer' },
  },
  required: ['running', 'since', 'by', 'pipelines', 'rules', 'batch_orders'],
} as const;
