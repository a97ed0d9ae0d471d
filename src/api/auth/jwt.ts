import { createHmac, timingSafeEqual } from 'node:crypto';

/** The claims of a verified token; only `exp`, `nbf`, `sub`, `role` and `roles` mean anything here. */
export type JwtClaims = Record<string, unknown>;

export type JwtFailure = 'malformed' | 'unsupported_alg' | 'bad_signature' | 'expired' | 'not_yet_valid';

export type JwtResult = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtFailure };

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SHA256_BYTES = 32;

function decodeJsonObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Verifies a compact HS256 JWT. Only HS256 is accepted — never `none`, never an algorithm the
 * token itself picks — so a forged header cannot downgrade the check. The signature is compared in
 * constant time; `exp` and `nbf` (seconds since the epoch) are honoured against `nowMs`, which the
 * caller passes so that this stays a pure function.
 */
export function verifyHs256Jwt(token: string, secret: string | Buffer, nowMs: number): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (!SEGMENT.test(headerPart) || !SEGMENT.test(payloadPart) || !(signaturePart === '' || SEGMENT.test(signaturePart))) {
    return { ok: false, reason: 'malformed' };
  }
  const header = decodeJsonObject(headerPart);
  if (header === null) return { ok: false, reason: 'malformed' };
  if (header.alg !== 'HS256') return { ok: false, reason: 'unsupported_alg' };
  const signature = Buffer.from(signaturePart, 'base64url');
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  if (signature.length !== SHA256_BYTES || !timingSafeEqual(signature, expected)) return { ok: false, reason: 'bad_signature' };
  const claims = decodeJsonObject(payloadPart);
  if (claims === null) return { ok: false, reason: 'malformed' };
  for (const name of ['exp', 'nbf'] as const) {
    if (claims[name] !== undefined && (typeof claims[name] !== 'number' || !Number.isFinite(claims[name]))) {
      return { ok: false, reason: 'malformed' };
    }
  }
  if (typeof claims.exp === 'number' && nowMs >= claims.exp * 1000) return { ok: false, reason: 'expired' };
  if (typeof claims.nbf === 'number' && nowMs < claims.nbf * 1000) return { ok: false, reason: 'not_yet_valid' };
  return { ok: true, claims };
}

/** Whether a credential has the shape of a compact JWS (three base64url segments). */
export function looksLikeJwt(credential: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential);
}
