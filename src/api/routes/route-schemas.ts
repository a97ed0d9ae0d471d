import { errorBodySchema } from '../http-error.js';

/** The OpenAPI security requirement of routes that need a bearer token. */
export const bearerSecurity = [{ bearerAuth: [] }];

/** Error responses every protected route can give, for its response schema. */
export const protectedErrors = {
  400: { ...errorBodySchema, description: 'The request does not match the schema; the message says what is wrong.' },
  401: { ...errorBodySchema, description: 'No valid bearer token (missing, unknown, bad signature, expired).' },
  403: { ...errorBodySchema, description: 'The token\'s role does not allow this route.' },
} as const;

export const orderIdParams = {
  type: 'object',
  additionalProperties: false,
  properties: { order_id: { type: 'string', minLength: 1, maxLength: 256, description: 'CRM order id' } },
  required: ['order_id'],
} as const;
