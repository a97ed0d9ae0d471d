import type { ProducedMessage } from '../sources/kafka/index.js';

/**
 * Kafka header on `<prefix>events` records naming the pipeline and rule version that normalized
 * the event, so the merge owner (maybe another worker, maybe already on a newer version) records
 * the right one on the lake row. A header, not a message field: the message layout (and its Avro
 * fingerprint) stays what older workers read.
 */
export const CONFIG_VERSION_HEADER = 'orderlake-config-version';

/** `records` with the version header added (unchanged without a version). */
export function withConfigVersion(records: ProducedMessage[], configVersion: string | undefined): ProducedMessage[] {
  if (!configVersion) return records;
  return records.map((r) => ({ ...r, headers: { ...r.headers, [CONFIG_VERSION_HEADER]: configVersion } }));
}
