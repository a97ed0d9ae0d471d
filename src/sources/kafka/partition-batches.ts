import type { ConsumedMessage, PartitionBatch } from './kafka-port.js';

/**
 * Splits what one poll returned (records of several partitions, interleaved) into one batch per
 * partition, keeping each partition's records in the order they came — which is offset order.
 * Batches come out in the order their partition first appears.
 */
export function toPartitionBatches<T>(
  records: readonly T[],
  describe: (record: T) => { topic: string; partition: number; message: ConsumedMessage },
): PartitionBatch[] {
  const byPartition = new Map<string, PartitionBatch>();
  for (const record of records) {
    const { topic, partition, message } = describe(record);
    const key = `${topic}\u0000${partition}`;
    let batch = byPartition.get(key);
    if (!batch) byPartition.set(key, (batch = { topic, partition, messages: [] }));
    batch.messages.push(message);
  }
  return [...byPartition.values()];
}
