import type { CanonicalEvent, SourcePosition } from '../normalize/index.js';
import type { LinkInput } from '../golden/index.js';

/**
 * The payloads of orderlake's internal topics (JSON: small, debuggable with any Kafka tool).
 * `<prefix>events` is keyed by order id; `<prefix>links` by link key (`tn:…` / `ff:…`).
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

export function encodeEventMessage(message: Omit<EventMessage, 'v'>): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, ...message }));
}

export function encodeLinkMessage(message: Omit<LinkMessage, 'v'>): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, ...message }));
}

export function decodeEventMessage(value: Buffer): EventMessage {
  const parsed = JSON.parse(value.toString('utf8')) as EventMessage;
  if (parsed.v !== 1 || typeof parsed.orderId !== 'string' || typeof parsed.event !== 'object') {
    throw new Error('not an orderlake event message (v1)');
  }
  return parsed;
}

export function decodeLinkMessage(value: Buffer): LinkMessage {
  const parsed = JSON.parse(value.toString('utf8')) as LinkMessage;
  if (parsed.v !== 1 || typeof parsed.input !== 'object' || parsed.input === null) {
    throw new Error('not an orderlake link message (v1)');
  }
  return parsed;
}
