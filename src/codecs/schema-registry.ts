/**
 * What the codecs need from a Confluent-compatible schema registry. Two implementations: the
 * HTTP client for a real registry and the local one over `schemas/` for embedded mode.
 */
export interface SchemaRegistry {
  /**
   * The writer schema JSON registered under `id`. Ids are immutable in a registry, so
   * implementations cache answers forever. Unknown id: `OL_ERR_CODEC_UNKNOWN_SCHEMA_ID`;
   * registry unreachable: `OL_ERR_REGISTRY_UNAVAILABLE` (retriable).
   */
  getSchemaById(id: number): Promise<string>;
  /** Registers `schemaJson` under `subject` and returns its id; the same schema gets the same id. */
  register(subject: string, schemaJson: string): Promise<number>;
}

/** TopicNameStrategy subject of a topic's values. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** TopicNameStrategy subject of a topic's keys. */
export function keySubject(topic: string): string {
  return `${topic}-key`;
}
