import type { GoldenView } from '../../golden/index.js';
import type { HealthCase, Severity } from '../../health/index.js';
import type { ErrorCode } from '../../errors.js';

/**
 * The JSON messages of the live feed (`/ws`). One text frame carries one message; every message
 * has a `type`. Subscription ids are chosen by the client and echoed on everything that belongs
 * to the subscription. A subscription follows one stream: orders (the default) or exception cases
 * (`stream: 'cases'`); both share the connection, its queue and its flow control.
 */

export type SubscriptionId = string | number;

/** Which orders a subscription follows; every given condition must hold (an empty filter: all orders). */
export interface OrderFilter {
  order_ids?: string[];
  customer_id?: string;
  channel?: string;
  /** The canonical status is one of these. */
  status?: string[];
  /** The order has (true) or has not (false) at least one exception code. */
  has_exception?: boolean;
}

export interface SubscribeMessage {
  type: 'subscribe';
  id: SubscriptionId;
  /** Absent or `'orders'`: the order stream (a client may also write it out). */
  stream?: 'orders';
  filter: OrderFilter;
  /** What a reconnecting client already holds: order id → version. */
  versions?: Record<string, number>;
}

/**
 * Which cases a cases subscription follows; every given condition must hold. Lists match any of
 * their values. `status` defaults to `active` (open or acknowledged); `all` adds resolved cases.
 */
export interface CaseFilter {
  queue?: string[];
  severity?: Severity[];
  rule?: string[];
  status?: 'active' | 'all';
}

export interface CaseSubscribeMessage {
  type: 'subscribe';
  id: SubscriptionId;
  stream: 'cases';
  filter: CaseFilter;
  /** What a reconnecting client already holds: case id → version. */
  versions?: Record<string, number>;
}

export interface UnsubscribeMessage {
  type: 'unsubscribe';
  id: SubscriptionId;
}

export interface PingMessage {
  type: 'ping';
}

export type ClientMessage = SubscribeMessage | CaseSubscribeMessage | UnsubscribeMessage | PingMessage;

export interface SubscribedMessage {
  type: 'subscribed';
  id: SubscriptionId;
}

export interface UnsubscribedMessage {
  type: 'unsubscribed';
  id: SubscriptionId;
}

/**
 * Whole views. After a subscribe: the matching orders the client does not hold yet (capped,
 * `truncated` when more matched). With `reason: 'gap'`: one order the client holds but whose
 * missed changes are no longer known — the view replaces the client's copy.
 */
export interface SnapshotMessage {
  type: 'snapshot';
  id: SubscriptionId;
  orders: GoldenView[];
  truncated?: boolean;
  reason?: 'gap';
}

/**
 * The change of one order from `from_version` to `version`: `fields` holds each changed top-level
 * field with its new value (`updated_at` included). An order entering the filter comes with every
 * field. `removed: true` is sent once when the order stops matching the filter.
 */
export interface DeltaMessage {
  type: 'delta';
  id: SubscriptionId;
  order_id: string;
  from_version: number;
  version: number;
  fields: Readonly<Record<string, unknown>>;
  removed?: true;
}

/** The order was deleted in the CRM: final. `version` is null only when it is no longer known. */
export interface DeletedMessage {
  type: 'deleted';
  id: SubscriptionId;
  order_id: string;
  version: number | null;
}

/**
 * Whole cases, after a cases subscribe: the matching cases the client does not hold yet, most
 * urgent first (severity critical → info, then oldest `opened_at`, then `case_id`), capped;
 * `truncated` when more matched.
 */
export interface CaseSnapshotMessage {
  type: 'case_snapshot';
  id: SubscriptionId;
  cases: HealthCase[];
  truncated?: true;
}

/**
 * A case changed from `from_version` to `version` (0 for a case new to the subscription): `case`
 * is the whole case as it is now, so applying it never needs the steps in between. `removed: true`
 * is sent once when the case stops matching the filter (e.g. resolved under an `active` filter);
 * the client drops it.
 */
export interface CaseMessage {
  type: 'case';
  id: SubscriptionId;
  case_id: string;
  from_version: number;
  version: number;
  case: HealthCase;
  removed?: true;
}

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  id?: SubscriptionId;
}

export interface PongMessage {
  type: 'pong';
}

export type ServerMessage =
  | SubscribedMessage
  | UnsubscribedMessage
  | SnapshotMessage
  | DeltaMessage
  | DeletedMessage
  | CaseSnapshotMessage
  | CaseMessage
  | ErrorMessage
  | PongMessage;

/** Close code for a client that stayed too slow to keep up (the 4000–4999 range is for applications). */
export const CLOSE_SLOW_CONSUMER = 4008;

/**
 * Close code for a client that went on sending after its messages were refused as too frequent
 * (`OL_ERR_WS_RATE_LIMITED`): it ignored the error frame, so the server stops reading it.
 */
export const CLOSE_TOO_MANY_MESSAGES = 4029;
