import { z } from 'zod';
import type { ErrorCode } from '../../errors.js';
import { SEVERITIES } from '../../health/index.js';
import type { FeedOptions } from './feed-options.js';
import type { ClientMessage, SubscriptionId } from './feed-protocol.js';

/** A client message that cannot be acted on: answered with an error frame, the connection stays. */
export interface ClientMessageProblem {
  code: ErrorCode;
  message: string;
  /** The subscription the message named, when it could be read. */
  id?: SubscriptionId;
}

export type ParsedClientMessage = { ok: true; message: ClientMessage } | { ok: false; problem: ClientMessageProblem };

export type ClientMessageParser = (data: Buffer | string) => ParsedClientMessage;

const KNOWN_TYPES = new Set(['subscribe', 'unsubscribe', 'ping']);

const STREAMS = new Set(['orders', 'cases']);

/** Values at most in one list of a case filter (queue, severity, rule). */
const MAX_CASE_FILTER_VALUES = 64;

/**
 * Builds the parser for client frames, with the limits of `options` baked into its schemas: a
 * message is checked for size, JSON, type and fields, in that order, and every refusal names what
 * was wrong. A subscribe's `stream` (absent or `orders`, or `cases`) chooses its filter's schema.
 */
export function createClientMessageParser(
  options: Pick<FeedOptions, 'maxMessageBytes' | 'maxOrderIds' | 'maxVersions'>,
): ClientMessageParser {
  const shortText = z.string().min(1).max(128);
  const id = z.union([shortText, z.number().int().safe()]);
  const filter = z.strictObject({
    order_ids: z.array(shortText).min(1).max(options.maxOrderIds).optional(),
    customer_id: shortText.optional(),
    channel: shortText.optional(),
    status: z.array(shortText).min(1).max(64).optional(),
    has_exception: z.boolean().optional(),
  });
  const versions = z
    .record(shortText, z.number().int().min(0).safe())
    .refine((v) => Object.keys(v).length <= options.maxVersions, `at most ${options.maxVersions} entries`)
    .optional();
  const subscribe = z.strictObject({
    type: z.literal('subscribe'),
    id,
    stream: z.literal('orders').optional(),
    filter: filter.optional(),
    versions,
  });
  const caseFilter = z.strictObject({
    queue: z.array(shortText).min(1).max(MAX_CASE_FILTER_VALUES).optional(),
    severity: z.array(z.enum(SEVERITIES)).min(1).max(MAX_CASE_FILTER_VALUES).optional(),
    rule: z.array(shortText).min(1).max(MAX_CASE_FILTER_VALUES).optional(),
    status: z.enum(['active', 'all']).optional(),
  });
  const caseSubscribe = z.strictObject({
    type: z.literal('subscribe'),
    id,
    stream: z.literal('cases'),
    filter: caseFilter.optional(),
    versions,
  });
  const unsubscribe = z.strictObject({ type: z.literal('unsubscribe'), id });
  const ping = z.strictObject({ type: z.literal('ping') });

  return (data) => {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (size > options.maxMessageBytes) {
      return problem('OL_ERR_WS_TOO_LARGE', `message of ${size} bytes exceeds the limit of ${options.maxMessageBytes} bytes`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
    } catch (err) {
      return problem('OL_ERR_WS_MALFORMED', `not JSON: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return problem('OL_ERR_WS_MALFORMED', 'a message must be a JSON object with a "type"');
    }
    const type = (raw as { type?: unknown }).type;
    if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
      return problem('OL_ERR_WS_UNKNOWN_TYPE', `unknown message type ${JSON.stringify(type ?? null)}; expected subscribe, unsubscribe or ping`);
    }
    const rawId = id.safeParse((raw as { id?: unknown }).id);
    const stream = (raw as { stream?: unknown }).stream;
    if (type === 'subscribe' && stream !== undefined && (typeof stream !== 'string' || !STREAMS.has(stream))) {
      return problem('OL_ERR_WS_BAD_REQUEST', `invalid subscribe: stream: unknown stream ${JSON.stringify(stream)}; expected orders or cases`, rawId.success ? rawId.data : undefined);
    }
    const schema = type === 'subscribe' ? (stream === 'cases' ? caseSubscribe : subscribe) : type === 'unsubscribe' ? unsubscribe : ping;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const text = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || type}: ${issue.message}`).join('; ');
      return problem('OL_ERR_WS_BAD_REQUEST', `invalid ${type}: ${text}`, rawId.success ? rawId.data : undefined);
    }
    const message = parsed.data;
    if (message.type === 'subscribe' && 'stream' in message && message.stream === 'cases') {
      return {
        ok: true,
        message: { type: 'subscribe', id: message.id, stream: 'cases', filter: message.filter ?? {}, ...(message.versions ? { versions: message.versions } : {}) },
      };
    }
    if (message.type === 'subscribe') {
      return {
        ok: true,
        message: { type: 'subscribe', id: message.id, filter: message.filter ?? {}, ...(message.versions ? { versions: message.versions } : {}) },
      };
    }
    return { ok: true, message };
  };
}

function problem(code: ErrorCode, message: string, id?: SubscriptionId): ParsedClientMessage {
  return { ok: false, problem: id === undefined ? { code, message } : { code, message, id } };
}
