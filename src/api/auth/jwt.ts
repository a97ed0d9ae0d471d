import { errors, jwtVerify } from 'jose';
import { OrderlakeError } from '../../errors.js';

/** The claims of a verified token; only `exp`, `nbf`, `sub`, `role`, `roles`, `permissions` and `scope` mean anything here. */
export type JwtClaims = Record<string, unknown>;

export type JwtFailure = 'malformed' | 'unsupported_alg' | 'bad_signature' | 'expired' | 'not_yet_valid';

export type JwtResult = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtFailure };

/** Verifies one compact JWT at `nowMs` (epoch ms). */
export type JwtVerifier = (token: string, nowMs: number) => Promise<JwtResult>;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Whether a credential has the shape of a compact JWS: three base64url segments, the last may be
 * empty. Checked before jose, whose base64 decoding also takes padding and whitespace.
 */
export function looksLikeJwt(credential: string): boolean {
  return COMPACT_JWS.test(credential);
}

/**
 * jose's errors as our refusal reasons. Every `JOSEError` comes from the token (an unknown `crit`
 * extension is `JOSENotSupported`: malformed for us); anything else is our bug, not a bad token,
 * and is thrown.
 */
function failureOf(err: unknown): JwtFailure {
  if (err instanceof errors.JOSEAlgNotAllowed) return 'unsupported_alg';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JWTExpired) return 'expired';
  // Also a claim of the wrong type (`"exp": "tomorrow"`), which is malformed rather than early.
  if (err instanceof errors.JWTClaimValidationFailed) return err.claim === 'nbf' && err.reason === 'check_failed' ? 'not_yet_valid' : 'malformed';
  if (err instanceof errors.JOSEError) return 'malformed';
  throw err;
}

/**
 * A verifier of HS256 JWTs signed with `secret`, on jose's `jwtVerify`. Only HS256 is accepted —
 * never `none`, never an algorithm the token itself picks — so a forged header cannot downgrade the
 * check. `exp` and `nbf` are honoured against the `nowMs` the caller passes, with no clock
 * tolerance: a token is expired from the second its `exp` names. The HMAC key is imported once.
 */
export function createHs256Verifier(secret: string): JwtVerifier {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length === 0) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', 'the JWT secret must not be empty');
  let key: Promise<CryptoKey> | undefined;
  return async (token, nowMs) => {
    if (!looksLikeJwt(token)) return { ok: false, reason: 'malformed' };
    key ??= crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    try {
      const { payload } = await jwtVerify(token, await key, { algorithms: ['HS256'], currentDate: new Date(nowMs) });
      return { ok: true, claims: payload };
    } catch (err) {
      return { ok: false, reason: failureOf(err) };
    }
  };
}
