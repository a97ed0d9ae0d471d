import { OrderlakeError } from '../errors.js';
import type { InputContext } from '../errors.js';

/** Magic byte 0 plus a 4-byte big-endian schema id, before the Avro body. */
export const CONFLUENT_HEADER_SIZE = 5;

/** Prefixes an Avro body with the Confluent wire-format header. */
export function frameConfluent(schemaId: number, body: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new OrderlakeError('OL_ERR_CODEC_ENCODE', `schema id ${schemaId} does not fit the 4-byte Confluent header`);
  }
  const framed = Buffer.allocUnsafe(CONFLUENT_HEADER_SIZE + body.length);
  framed[0] = 0;
  framed.writeUInt32BE(schemaId, 1);
  body.copy(framed, CONFLUENT_HEADER_SIZE);
  return framed;
}

/**
 * The writer schema id of a Confluent-framed message, without copying anything: the decoder's
 * hot path reads the id, then decodes the body in place from offset 5.
 */
export function readSchemaId(buf: Buffer, context?: InputContext): number {
  if (buf.length < CONFLUENT_HEADER_SIZE) {
    throw new OrderlakeError('OL_ERR_CODEC_TRUNCATED', `message of ${buf.length} bytes is shorter than the 5-byte Confluent header`, {
      context: { ...context, bytes: buf.length },
    });
  }
  if (buf[0] !== 0) {
    throw new OrderlakeError('OL_ERR_CODEC_BAD_MAGIC', `magic byte is ${buf[0]}, not 0: not the Confluent wire format`, {
      context: { ...context, magic: buf[0] },
    });
  }
  return buf.readUInt32BE(1);
}

/** Splits a Confluent-framed message; `body` is a view of `buf`, not a copy. */
export function parseConfluentFrame(buf: Buffer, context?: InputContext): { schemaId: number; body: Buffer } {
  const schemaId = readSchemaId(buf, context);
  return { schemaId, body: buf.subarray(CONFLUENT_HEADER_SIZE) };
}
