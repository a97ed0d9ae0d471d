import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { looksLikeJwt, verifyHs256Jwt } from '../../../src/api/auth/index.js';
import { hmacSignature, signJwt } from './support/sign-jwt.js';

const SECRET = 'a-test-secret-of-some-length';
const NOW = Date.UTC(2026, 10, 27, 8, 0, 0);
const nowSeconds = NOW / 1000;

describe('verifyHs256Jwt', () => {
  it('accepts a token signed with the secret and returns its claims', () => {
    const token = signJwt({ sub: 'ana', role: 'analyst', exp: nowSeconds + 60 }, SECRET);
    expect(verifyHs256Jwt(token, SECRET, NOW)).toEqual({ ok: true, claims: { sub: 'ana', role: 'analyst', exp: nowSeconds + 60 } });
  });

  it('refuses a token signed with another secret', () => {
    const token = signJwt({ role: 'admin' }, 'another-secret');
    expect(verifyHs256Jwt(token, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses alg none, even with an empty or copied signature', () => {
    const unsigned = signJwt({ role: 'admin' }, SECRET, { alg: 'none', typ: 'JWT' });
    expect(verifyHs256Jwt(unsigned, SECRET, NOW)).toEqual({ ok: false, reason: 'unsupported_alg' });
    const valid = signJwt({ role: 'admin' }, SECRET);
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const [, payload, signature] = valid.split('.');
    expect(verifyHs256Jwt(`${noneHeader}.${payload}.${signature}`, SECRET, NOW)).toEqual({ ok: false, reason: 'unsupported_alg' });
  });

  it('refuses every algorithm other than HS256, whatever the signature', () => {
    for (const alg of ['HS384', 'HS512', 'RS256', 'ES256', 'hs256', 'NONE']) {
      const token = signJwt({ role: 'admin' }, SECRET, { alg, typ: 'JWT' });
      expect(verifyHs256Jwt(token, SECRET, NOW), alg).toEqual({ ok: false, reason: 'unsupported_alg' });
    }
  });

  it('honours exp: valid until the second it names, expired from then on', () => {
    const token = signJwt({ role: 'agent', exp: nowSeconds + 1 }, SECRET);
    expect(verifyHs256Jwt(token, SECRET, NOW + 999).ok).toBe(true);
    expect(verifyHs256Jwt(token, SECRET, NOW + 1000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyHs256Jwt(signJwt({ role: 'agent', exp: nowSeconds - 3600 }, SECRET), SECRET, NOW)).toEqual({ ok: false, reason: 'expired' });
  });

  it('honours nbf', () => {
    const token = signJwt({ role: 'agent', nbf: nowSeconds + 10 }, SECRET);
    expect(verifyHs256Jwt(token, SECRET, NOW)).toEqual({ ok: false, reason: 'not_yet_valid' });
    expect(verifyHs256Jwt(token, SECRET, NOW + 10_000).ok).toBe(true);
  });

  it('refuses non-numeric exp and nbf rather than ignoring them', () => {
    expect(verifyHs256Jwt(signJwt({ exp: 'tomorrow' }, SECRET), SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyHs256Jwt(signJwt({ nbf: null }, SECRET), SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses malformed tokens', () => {
    const valid = signJwt({ role: 'agent' }, SECRET);
    const [h, p, s] = valid.split('.') as [string, string, string];
    const notJson = Buffer.from('not json').toString('base64url');
    const array = Buffer.from('[1,2]').toString('base64url');
    for (const token of ['', 'abc', `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}.${p}.${s}=`, `${h}.${p}.+${s}`, `${notJson}.${p}.${s}`, `${h}..${s}`]) {
      expect(verifyHs256Jwt(token, SECRET, NOW), token).toEqual({ ok: false, reason: 'malformed' });
    }
    const arrayPayload = `${h}.${array}`;
    expect(verifyHs256Jwt(`${arrayPayload}.${hmacSignature(arrayPayload, SECRET)}`, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a missing, truncated or extended signature', () => {
    const valid = signJwt({ role: 'agent' }, SECRET);
    expect(verifyHs256Jwt(valid.slice(0, valid.lastIndexOf('.') + 1), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyHs256Jwt(valid.slice(0, -2), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyHs256Jwt(`${valid}AA`, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses any change to the signed part (property)', () => {
    const token = signJwt({ sub: 'agent-7', role: 'agent', exp: nowSeconds + 3600 }, SECRET);
    const signedLength = token.lastIndexOf('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.integer({ min: 0, max: signedLength - 1 }), fc.constantFrom(...alphabet), (at, ch) => {
        fc.pre(token[at] !== '.' && token[at] !== ch);
        const tampered = token.slice(0, at) + ch + token.slice(at + 1);
        expect(verifyHs256Jwt(tampered, SECRET, NOW).ok).toBe(false);
      }),
    );
  });
});

describe('looksLikeJwt', () => {
  it('tells JWT-shaped credentials from plain tokens', () => {
    expect(looksLikeJwt(signJwt({ role: 'agent' }, SECRET))).toBe(true);
    expect(looksLikeJwt('plain-token')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
  });
});
