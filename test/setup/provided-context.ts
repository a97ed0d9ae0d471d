/**
 * What test/setup/global-kafka.ts hands every integration and e2e test through vitest's
 * `provide`/`inject`. Declared once here so the setup and the accessors in test/helpers agree.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap list of the run's Kafka broker, e.g. `127.0.0.1:40123`. */
    kafkaBrokers: string;
    /** Base URL of the run's Confluent-compatible schema registry. */
    schemaRegistryUrl: string;
  }
}

export {};
