import { randomBytes } from 'node:crypto';
import { hasCredentials, type AuthConfig } from './auth-config.js';

/**
 * A fresh `npm start` with nothing configured must still be usable from the console without
 * opening the API to everyone: when no token and no JWT secret is configured, this adds one
 * random admin token (256 bits) for this run, which the caller logs with the console URL.
 * Returns the config unchanged and `demoToken: null` when credentials exist.
 */
export function ensureDemoToken(
  config: AuthConfig,
  random: (bytes: number) => Buffer = randomBytes,
): { config: AuthConfig; demoToken: string | null } {
  if (hasCredentials(config)) return { config, demoToken: null };
  const demoToken = random(32).toString('base64url');
  return { config: { ...config, tokens: [{ token: demoToken, role: 'admin', name: 'local-demo' }] }, demoToken };
}
