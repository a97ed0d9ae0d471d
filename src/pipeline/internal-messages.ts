import type { CanonicalEvent, SourcePosition } from '../normalize/index.js';
import type { LinkInput } from '../golden/index.js';
import { OrderlakeError } from '../errors.js';
import { compileMessageType, EVENT_MESSAGE_SHAPE, LINK_MESSAGE_SHAPE, type InternalMessageType } from './internal-schema.js';
import { checkInternalMessage } from './internal-check.js';

/**
 * The payloads of orderlake's internal topics. `<prefix>events` is keyed by order id;
 * `<prefix>links` by link key (`tn:…` / `ff:…`).
 *
 * Wire format: one format byte, then
 * - `0xC1` (Avro): a 4-byte schema fingerprint (big-endian, first bytes of the SHA-256 of the
 *   schema's canonical form) and the message as Avro binary, schema in `internal-schema.ts`.
 *   0xC1 never occurs in UTF-8, so no text format can be mistaken for it; the fingerprint makes a
 *   reader refuse a message written with another field layout instead of misreading it.
 * - `{` (JSON v1): the previous format, still read so that a topic written by an older version (or
 *   by older workers during a rolling upgrade) stays readable. Also written for a message the Avro
 *   schema cannot carry (a value of the wrong type, which the canonical types rule out), so that
 *   such a message still gets through instead of failing its whole batch.
 */
export interface EventMessage {
  v: 1;
  orderId: string;
  event: CanonicalEvent;
  position: SourcePosition;
}

export interface LinkMessage {
  v: 1;
  input: LinkInput;
  /** Position of the raw input a tracking event came from (absent for facts). */
  position?: SourcePosition;
}

/** First byte of an Avro internal message. */
export const AVRO_FORMAT_BYTE = 0xc1;
/** First byte of a JSON v1 internal message (`{`). */
export const JSON_FORMAT_BYTE = 0x7b;
/** Format byte + schema fingerprint. */
export const AVRO_HEADER_SIZE = 5;

const EVENT = compileMessageType(EVENT_MESSAGE_SHAPE);
const LINK = compileMessageType(LINK_MESSAGE_SHAPE);

/** Reused for every encode; each message is copied out of it at its exact size. */
let scratch = Buffer.allocUnsafe(64 * 1024);

function encodeAvro(kind: InternalMessageType, message: object): Buffer | undefined {
  let value: unknown;
  let end: number;
  try {
    value = kind.toAvro(message);
    end = kind.type.encode(value, scratch, AVRO_HEADER_SIZE);
    while (end < 0) {
      scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
      end = kind.type.encode(value, scratch, AVRO_HEADER_SIZE);
    }
  } catch {
    return undefined;
  }
  const out = Buffer.allocUnsafe(end);
  out[0] = AVRO_FORMAT_BYTE;
  out.writeUInt32BE(kind.fingerprint, 1);
  scratch.copy(out, AVRO_HEADER_SIZE, AVRO_HEADER_SIZE, end);
  return out;
}

function encodeJson(message: object): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, ...message }));
}

/**
 * How the internal topics are written. Readers take both, so `json` is for a rolling upgrade from
 * a version that reads JSON only: run it until every worker reads Avro, then switch.
 */
export type InternalFormat = 'avro' | 'json';

export function encodeEventMessage(message: Omit<EventMessage, 'v'>, format: InternalFormat = 'avro'): Buffer {
  return (format === 'avro' ? encodeAvro(EVENT, message) : undefined) ?? encodeJson(message);
}

export function encodeLinkMessage(message: Omit<LinkMessage, 'v'>, format: InternalFormat = 'avro'): Buffer {
  return (format === 'avro' ? encodeAvro(LINK, message) : undefined) ?? encodeJson(message);
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** The message in `value` as a plain object, whichever format wrote it; throws when unreadable. */
function decode(kind: InternalMessageType, what: string, value: Buffer): unknown {
  if (value.length === 0) throw new Error(`empty ${what} message`);
  const format = value[0]!;
  if (format === AVRO_FORMAT_BYTE) {
    if (value.length < AVRO_HEADER_SIZE) throw new Error(`truncated ${what} message: ${value.length} bytes, shorter than the ${AVRO_HEADER_SIZE}-byte Avro header`);
    const fingerprint = value.readUInt32BE(1);
    if (fingerprint !== kind.fingerprint) {
      throw new Error(
        `${what} message written with Avro schema ${hex(fingerprint)}, this version reads ${hex(kind.fingerprint)} (another orderlake version wrote it, or it is not a ${what} message)`,
      );
    }
    let decoded: unknown;
    try {
      decoded = kind.type.fromBuffer(value.subarray(AVRO_HEADER_SIZE));
    } catch (err) {
      throw new Error(`unreadable Avro ${what} message (${value.length} bytes): ${(err as Error).message}`, { cause: err });
    }
    return kind.fromAvro(decoded);
  }
  if (format === JSON_FORMAT_BYTE) {
    try {
      return JSON.parse(value.toString('utf8')) as unknown;
    } catch (err) {
      throw new Error(`unreadable JSON ${what} message (${value.length} bytes): ${(err as Error).message}`, { cause: err });
    }
  }
  throw new Error(
    `not an orderlake ${what} message: first byte 0x${format.toString(16).padStart(2, '0')}, expected 0x${AVRO_FORMAT_BYTE.toString(16)} (Avro) or 0x${JSON_FORMAT_BYTE.toString(16)} '{' (JSON v1)`,
  );
}

/** Offsets are int64 as decimal text, as the lake's `offset` column takes them. */
const OFFSET = /^\d{1,20}$/;

function isUint32(n: unknown): boolean {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
}

/** What the lake needs of a position beyond its types: no negative partition or line, a numeric offset. */
function positionProblem(position: SourcePosition | undefined, path: string): string | undefined {
  if (position === undefined || position === null) return undefined;
  if (!isUint32(position.partition)) return `${path}.partition: ${position.partition} is not a partition number`;
  if (!OFFSET.test(position.offset)) return `${path}.offset: ${JSON.stringify(position.offset.slice(0, 40))} is not a Kafka offset`;
  if (position.line !== undefined && position.line !== null && !isUint32(position.line)) return `${path}.line: ${position.line} is not a line number`;
  if (!Number.isSafeInteger(position.timestamp)) return `${path}.timestamp: ${position.timestamp} is not epoch ms`;
  return undefined;
}

/**
 * Decodes and checks a message; any problem is an `OL_ERR_INTERNAL_MESSAGE`: a message that did
 * not come from orderlake, or that changed on the way (see `internal-check.ts`).
 */
function decodeChecked(kind: InternalMessageType, what: string, value: Buffer, position: (message: Record<string, unknown>) => SourcePosition | undefined): unknown {
  let parsed: unknown;
  try {
    parsed = decode(kind, what, value);
  } catch (err) {
    throw new OrderlakeError('OL_ERR_INTERNAL_MESSAGE', (err as Error).message, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || (parsed as { v?: unknown }).v !== 1) {
    throw new OrderlakeError('OL_ERR_INTERNAL_MESSAGE', `not an orderlake ${what} message (v1)`);
  }
  const problem = checkInternalMessage(kind.shape, parsed) ?? positionProblem(position(parsed as Record<string, unknown>), 'position');
  if (problem !== undefined) throw new OrderlakeError('OL_ERR_INTERNAL_MESSAGE', `not an orderlake ${what} message (v1): ${problem}`);
  return parsed;
}

/** The event message in `value`; throws `OL_ERR_INTERNAL_MESSAGE` when it is not one orderlake wrote. */
export function decodeEventMessage(value: Buffer): EventMessage {
  return decodeChecked(EVENT, 'event', value, (m) => m.position as SourcePosition) as EventMessage;
}

/** The link message in `value`; throws `OL_ERR_INTERNAL_MESSAGE` when it is not one orderlake wrote. */
export function decodeLinkMessage(value: Buffer): LinkMessage {
  return decodeChecked(LINK, 'link', value, (m) => m.position as SourcePosition | undefined) as LinkMessage;
}

/** The Avro schemas of the internal messages, for tools that read the topics. */
export const INTERNAL_MESSAGE_SCHEMAS = { event: EVENT.schema, link: LINK.schema } as const;
