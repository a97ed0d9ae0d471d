import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../src/api/orders/search-cursor.js';

describe('search cursor', () => {
  it('round-trips every key, with or without created_at (property)', () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: -8_640_000_000_000, max: 8_640_000_000_000 }), { nil: null }), fc.string({ minLength: 1, unit: 'binary' }), (createdAt, orderId) => {
        const cursor = encodeCursor({ createdAt, orderId });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toEqual({ createdAt, orderId });
      }),
    );
  });

  it('is URL-safe base64 of a small JSON object', () => {
    const cursor = encodeCursor({ createdAt: 1764230400000, orderId: 'SO-1001' });
    expect(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).toEqual({ c: 1764230400000, o: 'SO-1001' });
  });

  it('rejects what it did not make', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '',
      'not a cursor!',
      'eyJ',
      enc([1, 'SO-1']),
      enc({ c: 1 }),
      enc({ c: 1, o: '' }),
      enc({ c: '1764230400000', o: 'SO-1' }),
      enc({ c: 1.5, o: 'SO-1' }),
      enc({ o: 'SO-1' }),
      enc(null),
      Buffer.from('{"c":1,"o":').toString('base64url'),
    ]) {
      expect(decodeCursor(bad), bad).toBeNull();
    }
  });
});
