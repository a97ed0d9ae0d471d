import fc from 'fast-check';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createHs256Verifier, looksLikeJwt } from '../../../src/api/auth/index.js';
import { hmacSignature, signJwt } from './support/sign-jwt.js';

const SECRET = 'a-test-secret-of-some-length';
const NOW = Date.UTC(2026, 10, 27, 8, 0, 0);
const nowSeconds = NOW / 1000;
const verify = createHs256Verifier(SECRET);

// Tokens are made by hand (./support/sign-jwt.ts), not by the library under test, so that forged
// headers and broken encodings can be expressed.
describe('createHs256Verifier (jose)', () => {
  it('accepts a token signed with the secret and returns its claims', async () => {
    const token = signJwt({ sub: 'ana', role: 'analyst', exp: nowSeconds + 60 }, SECRET);
    expect(await verify(token, NOW)).toEqual({ ok: true, claims: { sub: 'ana', role: 'analyst', exp: nowSeconds + 60 } });
  });

  it('accepts what jose itself signs', async () => {
    const token = await new SignJWT({ role: 'agent' }).setProtectedHeader({ alg: 'HS256' }).setSubject('desk-2').sign(new TextEncoder().encode(SECRET));
    expect(await verify(token, Date.now())).toEqual({ ok: true, claims: { sub: 'desk-2', role: 'agent' } });
  });

  it('refuses a token signed with another secret', async () => {
    expect(await verify(signJwt({ role: 'admin' }, 'another-secret'), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await createHs256Verifier('another-secret')(signJwt({ role: 'admin' }, SECRET), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses alg none, even with an empty or copied signature', async () => {
    const unsigned = signJwt({ role: 'admin' }, SECRET, { alg: 'none', typ: 'JWT' });
    expect(await verify(unsigned, NOW)).toEqual({ ok: false, reason: 'unsupported_alg' });
    const valid = signJwt({ role: 'admin' }, SECRET);
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const [, payload, signature] = valid.split('.');
    expect(await verify(`${noneHeader}.${payload}.${signature}`, NOW)).toEqual({ ok: false, reason: 'unsupported_alg' });
  });

  it('refuses every algorithm other than HS256, whatever the signature', async () => {
    for (const alg of ['HS384', 'HS512', 'RS256', 'ES256', 'hs256', 'NONE']) {
      const token = signJwt({ role: 'admin' }, SECRET, { alg, typ: 'JWT' });
      expect(await verify(token, NOW), alg).toEqual({ ok: false, reason: 'unsupported_alg' });
    }
  });

  it('refuses a header without alg, or with a critical extension it does not know, as malformed', async () => {
    expect(await verify(signJwt({ role: 'admin' }, SECRET, { typ: 'JWT' }), NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verify(signJwt({ role: 'admin' }, SECRET, { alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }), NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('honours exp with no clock tolerance: valid until the second it names, expired from then on', async () => {
    const token = signJwt({ role: 'agent', exp: nowSeconds + 1 }, SECRET);
    expect((await verify(token, NOW + 999)).ok).toBe(true);
    expect(await verify(token, NOW + 1000)).toEqual({ ok: false, reason: 'expired' });
    expect(await verify(signJwt({ role: 'agent', exp: nowSeconds - 3600 }, SECRET), NOW)).toEqual({ ok: false, reason: 'expired' });
  });

  it('honours nbf with no clock tolerance', async () => {
    const token = signJwt({ role: 'agent', nbf: nowSeconds + 10 }, SECRET);
    expect(await verify(token, NOW + 9_999)).toEqual({ ok: false, reason: 'not_yet_valid' });
    expect((await verify(token, NOW + 10_000)).ok).toBe(true);
  });

  it('refuses non-numeric exp, nbf and iat rather than ignoring them', async () => {
    expect(await verify(signJwt({ exp: 'tomorrow' }, SECRET), NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verify(signJwt({ nbf: null }, SECRET), NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verify(signJwt({ iat: '2026-11-27' }, SECRET), NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses malformed tokens', async () => {
    const valid = signJwt({ role: 'agent' }, SECRET);
    const [h, p, s] = valid.split('.') as [string, string, string];
    const notJson = Buffer.from('not json').toString('base64url');
    const array = Buffer.from('[1,2]').toString('base64url');
    for (const token of ['', 'abc', `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}.${p}.${s}=`, `${h}.${p}.+${s}`, `${notJson}.${p}.${s}`, `${h}..${s}`]) {
      expect(await verify(token, NOW), token).toEqual({ ok: false, reason: 'malformed' });
    }
    const arrayPayload = `${h}.${array}`;
    expect(await verify(`${arrayPayload}.${hmacSignature(arrayPayload, SECRET)}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a missing, truncated or extended signature', async () => {
    const valid = signJwt({ role: 'agent' }, SECRET);
    expect(await verify(valid.slice(0, valid.lastIndexOf('.') + 1), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify(valid.slice(0, -1), NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verify(`${valid}A`, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    // A segment length that is not base64 at all (4n + 1 characters) is malformed before any MAC is computed.
    expect(await verify(valid.slice(0, -2), NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verify(`${valid}AA`, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses any change to the signed part (property)', async () => {
    const token = signJwt({ sub: 'agent-7', role: 'agent', exp: nowSeconds + 3600 }, SECRET);
    const signedLength = token.lastIndexOf('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: signedLength - 1 }), fc.constantFrom(...alphabet), async (at, ch) => {
        fc.pre(token[at] !== '.' && token[at] !== ch);
        const tampered = token.slice(0, at) + ch + token.slice(at + 1);
        expect((await verify(tampered, NOW)).ok).toBe(false);
      }),
    );
  });

  it('answers every token-shaped input with a result, never a thrown error (which would be a 500)', async () => {
    const header = fc.record(
      { alg: fc.constantFrom('HS256', 'none', 'HS512', 'RS256', ''), typ: fc.string(), crit: fc.array(fc.string(), { maxLength: 2 }), b64: fc.boolean() },
      { requiredKeys: [] },
    );
    const jsonText = fc.oneof(fc.json(), header.map((h) => JSON.stringify(h)));
    await fc.assert(
      fc.asyncProperty(jsonText, fc.oneof(fc.json(), fc.jsonValue().map((v) => JSON.stringify({ role: 'agent', exp: v, nbf: v }))), fc.boolean(), async (h, p, signed) => {
        const input = `${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}`;
        const token = `${input}.${signed ? hmacSignature(input, SECRET) : ''}`;
        const result = await verify(token, NOW);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });

  it('refuses an empty secret as a configuration error', () => {
    expect(() => createHs256Verifier('')).toThrow(/JWT secret must not be empty/);
  });
});

describe('looksLikeJwt', () => {
  it('tells JWT-shaped credentials from plain tokens', () => {
    expect(looksLikeJwt(signJwt({ role: 'agent' }, SECRET))).toBe(true);
    expect(looksLikeJwt('plain-token')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
  });
});
