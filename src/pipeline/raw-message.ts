/**
 * One input as every source hands it to the codec: Kafka, replay files and the simulator all
 * produce these, so there is one codepath from bytes to golden view.
 */
export interface RawMessage {
  topic: string;
  partition: number;
  /** Kafka offset (int64 as a decimal string), or the line's position within its topic in a replay. */
  offset: string;
  /** Kafka append time (CreateTime/LogAppendTime) or the replay line's timestamp, epoch ms. */
  timestamp: number;
  key: Buffer | null;
  /** null: a tombstone. */
  value: Buffer | null;
  /** Replay file and 1-based line number, when the input came from a replay file. */
  file?: string;
  line?: number;
}
