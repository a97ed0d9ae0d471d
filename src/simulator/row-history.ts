import type { CrmOp } from '../normalize/canonical-event.js';
import type { CrmChange, CrmTable } from './planned-event.js';
import type { Rng } from './seeded-random.js';
import { formatZoned, pickZonedStyle } from './zoned-time.js';

/** A change the story wants to make to one CRM row at a moment of its life. */
export interface RowIntent {
  at: number;
  op: CrmOp;
  /** The full image for `c`; the changed columns for `u`. */
  patch?: Record<string, unknown>;
  /** Render `updated_at` with at least millisecond precision (see `pickZonedStyle`). */
  precise?: boolean;
  /** Changes with the same label commit in one transaction. */
  tx?: string;
  /** Position inside its transaction. */
  rank?: number;
  /** `source.ts_ms` offset from the transaction start. */
  tsOffset?: number;
}

export interface TimedChange {
  at: number;
  tx: string | undefined;
  rank: number;
  change: CrmChange;
}

/**
 * The life of one CRM row (an order, a line, an after-sales case). Stories record intents in
 * whatever order they think of them; `materialize` replays them in time order so that images,
 * `updated_at` and `row_version` (+1 per update) come out exactly as the database would write them.
 * Intents on a row that does not exist (after a delete, before a create) are dropped.
 */
export class RowHistory {
  private readonly intents: RowIntent[] = [];

  constructor(
    readonly table: CrmTable,
    readonly key: Record<string, unknown>,
    private readonly versioned: boolean,
  ) {}

  add(intent: RowIntent): void {
    this.intents.push(intent);
  }

  /** The time of the earliest intent, if any. */
  firstAt(): number | undefined {
    return this.intents.reduce<number | undefined>((min, intent) => (min === undefined || intent.at < min ? intent.at : min), undefined);
  }

  materialize(rng: Rng): TimedChange[] {
    const ordered = this.intents.map((intent, seq) => ({ intent, seq })).sort((a, b) => a.intent.at - b.intent.at || a.seq - b.seq);
    const changes: TimedChange[] = [];
    let image = null as Record<string, unknown> | null;
    for (const { intent } of ordered) {
      const updatedAt = (): string => formatZoned(intent.at, pickZonedStyle(rng, intent.precise), rng);
      let before: Record<string, unknown> | null = null;
      let after: Record<string, unknown> | null = null;
      switch (intent.op) {
        case 'c': {
          if (image !== null) continue;
          after = { ...intent.patch };
          if (typeof after.updated_at !== 'string') after.updated_at = updatedAt();
          if (this.versioned) after.row_version = 1;
          break;
        }
        case 'u': {
          if (image === null) continue;
          before = image;
          after = { ...image, ...intent.patch };
          if (typeof intent.patch?.updated_at !== 'string') after.updated_at = updatedAt();
          if (this.versioned) after.row_version = (image.row_version as number) + 1;
          break;
        }
        case 'r': {
          if (image === null) continue;
          after = image;
          break;
        }
        case 'd': {
          if (image === null) continue;
          before = image;
          break;
        }
      }
      image = after;
      changes.push({
        at: intent.at,
        tx: intent.tx,
        rank: intent.rank ?? 0,
        change: { table: this.table, key: this.key, op: intent.op, before, after, tsOffset: intent.tsOffset ?? 0 },
      });
    }
    return changes;
  }
}
