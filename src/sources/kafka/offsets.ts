/**
 * Offset arithmetic on the decimal strings both clients exchange. Kafka offsets are int64: BigInt
 * keeps them exact past 2^53, where JavaScript numbers would silently round.
 */

const OFFSET = /^(0|[1-9][0-9]*)$/;

/** Whether `offset` is a non-negative int64 in canonical decimal form. */
export function isOffset(offset: string): boolean {
  return OFFSET.test(offset) && BigInt(offset) <= 0x7fff_ffff_ffff_ffffn;
}

function parse(offset: string): bigint {
  if (!isOffset(offset)) throw new RangeError(`not a Kafka offset: ${JSON.stringify(offset)}`);
  return BigInt(offset);
}

/** The offset to commit after handling `lastOffset`: Kafka commits name the next record to read. */
export function nextOffset(lastOffset: string): string {
  return (parse(lastOffset) + 1n).toString();
}

/** Orders two offsets numerically (string order would put "10" before "9"). */
export function compareOffsets(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * An offset as node-rdkafka wants it (a JavaScript number). Fails rather than round an offset past
 * 2^53, which no real partition reaches (that is 285 years at a million records a second).
 */
export function offsetToNumber(offset: string): number {
  const value = parse(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`offset ${offset} exceeds 2^53`);
  return Number(value);
}
