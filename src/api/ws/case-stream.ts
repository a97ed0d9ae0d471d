import type { CaseFeed } from '../../feed/case-feed.js';
import type { HealthCase } from '../../health/index.js';

/**
 * What the feed needs from the health runtime to serve `stream: 'cases'` subscriptions. The
 * runtime's case service fits it as is.
 *
 * Consistency: `held()` must already include every change published on `feed`, and every change
 * made to what `held()` returns must be published — synchronously, in the order made (publish
 * right after each `apply`/`act`, with no await in between). A subscription opens between two
 * publishes, so its snapshot and the live changes that follow then meet without a gap.
 */
export interface CaseStream {
  /** Every case this worker holds now, open and recently resolved. */
  held(): readonly HealthCase[];
  /** Every case change, right after it was made. */
  feed: CaseFeed;
}
