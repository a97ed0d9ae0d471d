export type {
  GoldenAfterSalesCase,
  GoldenCustomer,
  GoldenFulfillment,
  GoldenLine,
  GoldenPayment,
  GoldenShipTo,
  GoldenShipment,
  GoldenSourceStats,
  GoldenSources,
  GoldenView,
  GoldenViewBody,
} from './golden-view.js';
export { GOLDEN_BODY_FIELDS } from './golden-view.js';
export { applyEvent, createOrderState, type OrderState } from './order-state.js';
export { deriveView } from './derive-view.js';
export { CLOSED_STATUSES, createGoldenStore, type DormantOrder, type GoldenStore, type ViewSource, type GoldenStoreStats, type ViewChange } from './golden-store.js';
export {
  fulfillmentKey,
  routeEvent,
  trackingKey,
  type LinkInput,
  type RoutedEvent,
} from './route-event.js';
export { createShipmentLinker, type ShipmentLinker } from './shipment-linker.js';
export { createLocalRouter } from './local-router.js';
export { compareCodePoints } from './code-point-order.js';
