import { createHmac } from 'node:crypto';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** The base64url HMAC-SHA256 of a JWS signing input (`header.payload`). */
export function hmacSignature(signingInput: string, secret: string): string {
  return createHmac('sha256', secret).update(signingInput).digest('base64url');
}

/** A compact JWS signed with HS256 (or with another header for negative tests; `alg: none` gets no signature). */
export function signJwt(
  claims: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const signingInput = `${b64(header)}.${b64(claims)}`;
  if (header.alg === 'none') return `${signingInput}.`;
  return `${signingInput}.${hmacSignature(signingInput, secret)}`;
}
