import { z } from 'zod';
import type { ErrorCode } from '../../errors.js';
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

/**
 * Builds the parser for client frames, with the limits of `options` baked into its schemas: a
 * message is checked for size, JSON, type and fields, in that order, and every refusal names what
 * was wrong.
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
  const subscribe = z.strictObject({
    type: z.literal('subscribe'),
    id,
    filter: filter.optional(),
    versions: z
      .record(shortText, z.number().int().min(0).safe())
      .refine((v) => Object.keys(v).length <= options.maxVersions, `at most ${options.maxVersions} entries`)
      .optional(),
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
    const schema = type === 'subscribe' ? subscribe : type === 'unsubscribe' ? unsubscribe : ping;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const rawId = id.safeParse((raw as { id?: unknown }).id);
      const text = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || type}: ${issue.message}`).join('; ');
      return problem('OL_ERR_WS_BAD_REQUEST', `invalid ${type}: ${text}`, rawId.success ? rawId.data : undefined);
    }
    const message = parsed.data;
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
