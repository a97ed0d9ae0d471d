import { inject } from 'vitest';
import type {} from '../setup/provided-context.js';

/**
 * Base URL of the run's schema registry (test/setup/global-kafka.ts): Apicurio Registry 3's
 * Confluent-compatible API unless ORDERLAKE_TEST_SCHEMA_REGISTRY_URL names another registry. Shared by every test file of the run, so tests register under random subject names.
 */
export function schemaRegistryUrl(): string {
  const url = inject('schemaRegistryUrl');
  if (!url) {
    throw new Error('no schema registry was provided: run this test in the integration project (test/setup/global-kafka.ts)');
  }
  return url;
}
