/**
 * One event as the contract's replay files hold it (JSON Lines): the simulator emits exactly this
 * shape so that its output can be written to a replay file, produced to Kafka or fed in-process
 * without conversion.
 */
export interface ReplayLine {
  topic: string;
  /** A string key (WMS, TMS) or a plain JSON object (Debezium keys of the CRM tables). */
  key: string | Record<string, unknown>;
  /** Writer schema name: the file in `schemas/` without `.avsc`. */
  schema: string;
  /**
   * The record as plain JSON: unions unwrapped, enums as strings, longs and timestamp-millis as
   * numbers, decimals as canonical strings ("199.00"); `null` is a Debezium tombstone.
   */
  value: Record<string, unknown> | null;
  /**
   * When the simulated source sent the line (a replay's Kafka create time), epoch ms. Deterministic
   * like the rest of the line. `orderlake simulate` does not send it to Kafka, which stamps the
   * time of sending: brokers refuse create times far ahead of now and expire those long past.
   */
  timestamp?: number;
}

/** The topics of the reference deployment. */
export const TOPICS = {
  orders: 'crm.public.orders',
  orderLines: 'crm.public.order_lines',
  afterSales: 'crm.public.after_sales',
  wms: 'wms.fulfillment.events',
  tms: 'tms.tracking.events',
} as const;

/** Writer schema names (files in `schemas/`). */
export const WRITER_SCHEMAS = {
  orders: 'crm.public.orders',
  orderLines: 'crm.public.order_lines',
  afterSales: 'crm.public.after_sales',
  wmsV1: 'wms.fulfillment.v1',
  wmsV2: 'wms.fulfillment.v2',
  tms: 'tms.tracking',
} as const;
