import type { GoldenView } from '../../golden/index.js';
import type { OrderFilter } from './feed-protocol.js';

/** A filter prepared for matching many views: lists become sets once, not per change. */
export interface CompiledFilter {
  readonly filter: OrderFilter;
  /** The order ids named by the filter, or null when it is not limited to named orders. */
  readonly orderIds: ReadonlySet<string> | null;
  matches(view: GoldenView | null): boolean;
}

export function compileFilter(filter: OrderFilter): CompiledFilter {
  const orderIds = filter.order_ids ? new Set(filter.order_ids) : null;
  const statuses = filter.status ? new Set(filter.status) : null;
  const { customer_id: customerId, channel, has_exception: hasException } = filter;
  return {
    filter,
    orderIds,
    matches(view) {
      if (view === null) return false;
      if (orderIds !== null && !orderIds.has(view.order_id)) return false;
      if (customerId !== undefined && view.customer?.id !== customerId) return false;
      if (channel !== undefined && view.channel !== channel) return false;
      if (statuses !== null && (view.status === null || !statuses.has(view.status))) return false;
      if (hasException !== undefined && view.exceptions.length > 0 !== hasException) return false;
      return true;
    },
  };
}
