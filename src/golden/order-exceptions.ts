/** What the exception rules read, already derived from the order state (instants in epoch ms). */
export interface ExceptionInputs {
  /** Newest CRM row is CANCELLED; false for a partial view. */
  crmCancelled: boolean;
  cancelledAt: number | null;
  packedAt: number | null;
  shippedAt: number | null;
  deliveredAt: number | null;
  promisedDeliveryAt: number | null;
  onTime: boolean | null;
  status: string | null;
  /** `updated_at` of every CRM image whose ship-to address differs from the image before it. */
  addressChangeTimes: readonly number[];
  shortPicked: boolean;
  anyFulfillmentCancelled: boolean;
  /** Newest `last_event_at` over the three sources; null when none. */
  lastEventAt: number | null;
  /** ETAs of the shipments neither delivered nor returned. */
  openShipmentEtas: readonly number[];
  openShipmentException: boolean;
}

/** The order's exception codes (contract, "Exceptions"), sorted. */
export function orderExceptions(input: ExceptionInputs): string[] {
  const codes: string[] = [];
  const { packedAt, shippedAt, cancelledAt, promisedDeliveryAt: promised } = input;
  if (packedAt !== null && input.addressChangeTimes.some((at) => at > packedAt)) {
    codes.push('ADDRESS_CHANGED_AFTER_PACKING');
  }
  if (input.crmCancelled && cancelledAt !== null && shippedAt !== null) {
    codes.push(cancelledAt > shippedAt ? 'CANCELLED_AFTER_SHIPMENT' : 'SHIPPED_AFTER_CANCELLATION');
  }
  if (input.openShipmentException) codes.push('DELIVERY_EXCEPTION');
  if (
    promised !== null &&
    input.deliveredAt === null &&
    input.status !== 'CANCELLED' &&
    input.lastEventAt !== null &&
    input.lastEventAt > promised
  ) {
    codes.push('DELIVERY_OVERDUE');
  }
  if (promised !== null && input.openShipmentEtas.some((eta) => eta > promised)) codes.push('ETA_BEYOND_PROMISE');
  if (input.anyFulfillmentCancelled && !input.crmCancelled) codes.push('FULFILLMENT_CANCELLED');
  if (input.onTime === false) codes.push('LATE_DELIVERY');
  if (input.shortPicked) codes.push('SHORT_PICK');
  return codes.sort();
}
