import { describe, expect, it } from 'vitest';
import { frameConfluent, parseConfluentFrame, readSchemaId } from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';

function errorOf(fn: () => unknown): OrderlakeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OrderlakeError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('Confluent wire format', () => {
  it('frames a body with magic byte 0 and a big-endian id', () => {
    const framed = frameConfluent(0x01020304, Buffer.from([0xaa, 0xbb]));
    expect(framed.toString('hex')).toBe('0001020304aabb');
    const { schemaId, body } = parseConfluentFrame(framed);
    expect(schemaId).toBe(0x01020304);
    expect(body.toString('hex')).toBe('aabb');
  });

  it('round-trips the largest id and an empty body', () => {
    const framed = frameConfluent(0xffffffff, Buffer.alloc(0));
    expect(parseConfluentFrame(framed)).toEqual({ schemaId: 0xffffffff, body: Buffer.alloc(0) });
  });

  it('refuses ids that do not fit 4 bytes', () => {
    expect(errorOf(() => frameConfluent(-1, Buffer.alloc(0))).code).toBe('OL_ERR_CODEC_ENCODE');
    expect(errorOf(() => frameConfluent(2 ** 32, Buffer.alloc(0))).code).toBe('OL_ERR_CODEC_ENCODE');
    expect(errorOf(() => frameConfluent(1.5, Buffer.alloc(0))).code).toBe('OL_ERR_CODEC_ENCODE');
  });

  it.each([0, 1, 4])('a %i-byte message is truncated', (length) => {
    const err = errorOf(() => parseConfluentFrame(Buffer.alloc(length), { topic: 't1' }));
    expect(err.code).toBe('OL_ERR_CODEC_TRUNCATED');
    expect(err.retriable).toBe(false);
    expect(err.context.topic).toBe('t1');
  });

  it('a non-zero first byte is a bad magic byte', () => {
    const err = errorOf(() => readSchemaId(Buffer.from('0100000001', 'hex'), { topic: 't2' }));
    expect(err.code).toBe('OL_ERR_CODEC_BAD_MAGIC');
    expect(err.context).toMatchObject({ topic: 't2', magic: 1 });
  });

  it('the body is a view of the message, not a copy', () => {
    const framed = frameConfluent(7, Buffer.from('hello'));
    const { body } = parseConfluentFrame(framed);
    expect(body.buffer).toBe(framed.buffer);
    expect(body.byteOffset).toBe(framed.byteOffset + 5);
  });
});
