import type { Type } from 'avsc';
import { OrderlakeError } from '../errors.js';

/**
 * Avro arrays and maps are written as blocks, each led by an item count; avsc allocates and reads
 * that many items before it can notice that the bytes ran out. A 12-byte message claiming
 * 100,000,000 fulfillment lines therefore kept the decoder busy for a minute and then killed the
 * worker with an out-of-memory error. The guard walks the writer schema over the bytes first (only
 * for writer schemas that have an array or a map: the others cannot make avsc loop) and refuses a
 * block whose count cannot be true: more items than bytes left when every item takes at least one
 * byte. It also refuses negative string and bytes lengths, which would make avsc read backwards.
 * Anything else that is wrong is left to avsc, whose error is the more precise one.
 */
export type BlockGuard = (buf: Buffer, offset: number) => void;

/** Items per array or map in a message when an item may take no byte at all (arrays of nulls). */
export const ZERO_WIDTH_ITEM_LIMIT = 65_536;

interface Cursor {
  pos: number;
}

/** Thrown by a step when the walk ran past the end: avsc reports that better, so the walk just stops. */
const PAST_END = Symbol('past end');

type Step = (buf: Buffer, at: Cursor) => void;

/** A zig-zag varint (Avro int/long). Huge values lose precision, which is fine: they are refused. */
function readLong(buf: Buffer, at: Cursor): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[at.pos++];
    if (b === undefined) throw PAST_END;
    n += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    scale *= 128;
  }
  throw PAST_END;
}

function refuse(message: string): never {
  throw new OrderlakeError('OL_ERR_CODEC_DECODE', message);
}

function advance(buf: Buffer, at: Cursor, bytes: number): void {
  at.pos += bytes;
  if (at.pos > buf.length) throw PAST_END;
}

function skipLength(what: string): Step {
  return (buf, at) => {
    const length = readLong(buf, at);
    if (length < 0) refuse(`negative ${what} length ${length} at byte ${at.pos}`);
    advance(buf, at, length);
  };
}

const skipVarint: Step = (buf, at) => void readLong(buf, at);

function typeName(type: Type): string {
  return (type as unknown as { typeName: string }).typeName;
}

function attr<T>(type: Type, name: string): T {
  return (type as unknown as Record<string, T>)[name]!;
}

/** Fewest bytes a value of `type` takes. */
function minSize(type: Type, seen: Set<Type>): number {
  const name = typeName(type);
  if (name.startsWith('logical:')) return minSize(attr<Type>(type, 'underlyingType'), seen);
  switch (name) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return attr<number>(type, 'size');
    case 'record':
    case 'error': {
      if (seen.has(type)) return 0; // recursive: its fields are counted once already
      seen.add(type);
      let sum = 0;
      for (const field of attr<Array<{ type: Type }>>(type, 'fields')) sum += minSize(field.type, seen);
      seen.delete(type);
      return sum;
    }
    default:
      return 1; // boolean, int, long, enum, string, bytes, union index, array/map end marker
  }
}

function hasBlocks(type: Type, seen: Set<Type>): boolean {
  const name = typeName(type);
  if (name === 'array' || name === 'map') return true;
  if (name.startsWith('logical:')) return hasBlocks(attr<Type>(type, 'underlyingType'), seen);
  if (name.startsWith('union')) return attr<Type[]>(type, 'types').some((t) => hasBlocks(t, seen));
  if (name === 'record' || name === 'error') {
    if (seen.has(type)) return false;
    seen.add(type);
    return attr<Array<{ type: Type }>>(type, 'fields').some((f) => hasBlocks(f.type, seen));
  }
  return false;
}

function blocks(what: string, item: Step, itemMin: number): Step {
  return (buf, at) => {
    let total = 0;
    for (;;) {
      let count = readLong(buf, at);
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        readLong(buf, at); // the block's size in bytes
      }
      total += count;
      const left = buf.length - at.pos;
      if (itemMin > 0 ? count * itemMin > left : total > ZERO_WIDTH_ITEM_LIMIT) {
        refuse(`${what} block at byte ${at.pos} claims ${count} items, but only ${left} bytes are left`);
      }
      for (let i = 0; i < count; i++) item(buf, at);
    }
  };
}

function stepOf(type: Type, steps: Map<Type, Step>): Step {
  const known = steps.get(type);
  if (known) return known;
  const name = typeName(type);
  if (name.startsWith('logical:')) return stepOf(attr<Type>(type, 'underlyingType'), steps);
  switch (name) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (buf, at) => advance(buf, at, 1);
    case 'float':
      return (buf, at) => advance(buf, at, 4);
    case 'double':
      return (buf, at) => advance(buf, at, 8);
    case 'fixed': {
      const size = attr<number>(type, 'size');
      return (buf, at) => advance(buf, at, size);
    }
    case 'int':
    case 'long':
    case 'enum':
      return skipVarint;
    case 'string':
      return skipLength('string');
    case 'bytes':
      return skipLength('bytes');
    case 'array': {
      const items = attr<Type>(type, 'itemsType');
      let item: Step | undefined;
      const step = blocks('array', (buf, at) => (item ??= stepOf(items, steps))(buf, at), minSize(items, new Set()));
      return step;
    }
    case 'map': {
      const values = attr<Type>(type, 'valuesType');
      let value: Step | undefined;
      const key = skipLength('map key');
      return blocks(
        'map',
        (buf, at) => {
          key(buf, at);
          (value ??= stepOf(values, steps))(buf, at);
        },
        1 + minSize(values, new Set()),
      );
    }
    case 'record':
    case 'error': {
      let fields: Step[] | undefined;
      const step: Step = (buf, at) => {
        fields ??= attr<Array<{ type: Type }>>(type, 'fields').map((f) => stepOf(f.type, steps));
        for (const field of fields) field(buf, at);
      };
      steps.set(type, step); // before the fields: a recursive record refers to itself
      return step;
    }
    default: {
      if (!name.startsWith('union')) return () => undefined;
      const branches = attr<Type[]>(type, 'types');
      let branchSteps: Step[] | undefined;
      return (buf, at) => {
        const index = readLong(buf, at);
        branchSteps ??= branches.map((b) => stepOf(b, steps));
        const branch = branchSteps[index];
        if (branch === undefined) throw PAST_END; // avsc names the bad union index
        branch(buf, at);
      };
    }
  }
}

/**
 * The guard for messages written with `writer`, or null when the schema has no array or map (then
 * avsc's own checks suffice). Throws `OL_ERR_CODEC_DECODE` for an impossible block.
 */
export function createBlockGuard(writer: Type): BlockGuard | null {
  if (!hasBlocks(writer, new Set())) return null;
  const step = stepOf(writer, new Map());
  return (buf, offset) => {
    try {
      step(buf, { pos: offset });
    } catch (err) {
      if (err !== PAST_END) throw err;
    }
  };
}
