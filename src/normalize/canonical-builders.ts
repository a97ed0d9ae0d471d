import type { CaseImage, LineImage, OrderImage, TmsEvent, WmsEvent } from './canonical-event.js';
import type { FieldReader } from './field-reader.js';

/**
 * One object-literal builder per canonical shape. The readers (and so the whole mapping) come from
 * the pipeline file; only the shape is code, as it is in `canonical-event.ts`. Literals rather than
 * a loop over field names because every object then gets its hidden class at creation, which makes
 * normalize several times faster than assigning computed keys one by one.
 */
export type ReadersOf<T> = { readonly [K in keyof T]-?: FieldReader };

type Mapped<T> = Omit<T, 'kind' | 'source'>;

export const orderImageBuilder =
  (read: ReadersOf<OrderImage>) =>
  (r: object): OrderImage =>
    ({
      order_id: read.order_id(r),
      channel: read.channel(r),
      customer_id: read.customer_id(r),
      customer_name: read.customer_name(r),
      customer_phone: read.customer_phone(r),
      member_tier: read.member_tier(r),
      status: read.status(r),
      currency: read.currency(r),
      total_amount: read.total_amount(r),
      ship_name: read.ship_name(r),
      ship_phone: read.ship_phone(r),
      ship_province: read.ship_province(r),
      ship_city: read.ship_city(r),
      ship_district: read.ship_district(r),
      ship_line: read.ship_line(r),
      ship_postcode: read.ship_postcode(r),
      gift_order: read.gift_order(r),
      buyer_note: read.buyer_note(r),
      promised_delivery_at: read.promised_delivery_at(r),
      created_at: read.created_at(r),
      paid_at: read.paid_at(r),
      updated_at: read.updated_at(r),
      row_version: read.row_version(r),
    }) as OrderImage;

export const lineImageBuilder =
  (read: ReadersOf<LineImage>) =>
  (r: object): LineImage =>
    ({
      order_id: read.order_id(r),
      line_no: read.line_no(r),
      sku: read.sku(r),
      name: read.name(r),
      quantity: read.quantity(r),
      unit_price: read.unit_price(r),
      updated_at: read.updated_at(r),
    }) as LineImage;

export const caseImageBuilder =
  (read: ReadersOf<CaseImage>) =>
  (r: object): CaseImage =>
    ({
      case_id: read.case_id(r),
      order_id: read.order_id(r),
      case_type: read.case_type(r),
      status: read.status(r),
      sku: read.sku(r),
      quantity: read.quantity(r),
      refund_amount: read.refund_amount(r),
      replacement_sku: read.replacement_sku(r),
      created_at: read.created_at(r),
      updated_at: read.updated_at(r),
    }) as CaseImage;

export const wmsEventBuilder =
  (read: ReadersOf<Mapped<WmsEvent>>) =>
  (r: object): WmsEvent =>
    ({
      kind: 'wms',
      source: 'wms',
      event_id: read.event_id(r),
      event_type: read.event_type(r),
      occurred_at: read.occurred_at(r),
      warehouse_id: read.warehouse_id(r),
      fulfillment_id: read.fulfillment_id(r),
      order_id: read.order_id(r),
      carrier: read.carrier(r),
      tracking_no: read.tracking_no(r),
      reason: read.reason(r),
      store_id: read.store_id(r),
    }) as WmsEvent;

export const tmsEventBuilder =
  (read: ReadersOf<Mapped<TmsEvent>>) =>
  (r: object): TmsEvent =>
    ({
      kind: 'tms',
      source: 'tms',
      event_id: read.event_id(r),
      tracking_no: read.tracking_no(r),
      carrier: read.carrier(r),
      fulfillment_ref: read.fulfillment_ref(r),
      order_ref: read.order_ref(r),
      event_code: read.event_code(r),
      occurred_at: read.occurred_at(r),
      location: read.location(r),
      eta: read.eta(r),
      exception_code: read.exception_code(r),
    }) as TmsEvent;
