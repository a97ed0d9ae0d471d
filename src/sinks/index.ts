/** The ClickHouse sink stage: client, schema, micro-batched writes and the reads that rebuild state. */
export {
  createClickHouseClient,
  ensureDatabase,
  dropDatabase,
  insertEncoded,
  type ClickHouseClient,
  type ClickHouseClientConfig,
  type EncodedInsert,
} from './clickhouse/client.js';
export { encodeJsonCompactRows } from './clickhouse/row-body.js';
export { quoteIdentifier, qualifiedTable } from './clickhouse/identifier.js';
export { TABLES, type TableName } from './clickhouse/table-names.js';
export { MIGRATIONS, runMigrations, listAppliedMigrations, type Migration, type AppliedMigration } from './clickhouse/migrations.js';
export { MASKED_VIEWS, MASK_DEPTH, PERSONAL_DATA_COLUMNS, MASKED_VIEWS_MIGRATION } from './clickhouse/masked-views.js';
export type { TableEncoding } from './clickhouse/table-encoding.js';
export { LAKE_ENCODING, type LakeRow } from './clickhouse/lake-row.js';
export { GOLDEN_ENCODING, type GoldenRow } from './clickhouse/golden-row.js';
export { DEAD_LETTER_ENCODING, type DeadLetterRow } from './clickhouse/dead-letter-row.js';
export { PENDING_SHIPMENT_ENCODING, type PendingShipmentRow } from './clickhouse/pending-shipment-row.js';
export { RAW_EVENT_ENCODING, RAW_EVENTS_MIGRATION, type RawEventRow } from './clickhouse/raw-event-row.js';
export { isRetriableClickHouseError, toClickHouseError } from './clickhouse/clickhouse-errors.js';
export {
  createClickHouseSink,
  type ClickHouseSink,
  type ClickHouseSinkOptions,
  type FlushStats,
} from './clickhouse/clickhouse-sink.js';
export { queryJson } from './clickhouse/query-json.js';
export { loadOrderStates, loadOwnedState, type OwnedOrderState, type SleepClosed } from './clickhouse/owned-state.js';
export { getGoldenView, listGoldenViews, type StoredGoldenView } from './clickhouse/golden-reader.js';
export { countDeadLetters, listDeadLetters } from './clickhouse/dead-letter-reader.js';
export {
  DEAD_LETTER_REDRIVES_MIGRATION,
  REDRIVE_ENCODING,
  insertRedriveRows,
  selectDeadLetters,
  type DeadLetterSelection,
  type DeadLetterWithRedrives,
  type RedriveOutcome,
  type RedriveRow,
  type SelectionCursor,
} from './clickhouse/dead-letter-redrives.js';
export { loadPendingShipmentEvents, type PendingShipmentEvent } from './clickhouse/pending-shipment-reader.js';
export { createLakeReader, type LakeReader } from './clickhouse/lake-reader.js';
export { CASE_ENCODING, CASE_TABLE_MIGRATION, toCaseRow, type CaseRow } from './clickhouse/case-row.js';
export { searchCases, getStoredCase, loadStoredCases, ordersWithExceptionsAndNoCase, type CaseSearch } from './clickhouse/case-reader.js';
export { HEALTH_VIEWS, HEALTH_VIEWS_MIGRATION } from './clickhouse/health-views.js';
export { recordConfigChanges, type ConfigChange, type RecordedConfigChanges } from './clickhouse/config-changes.js';
export {
  CONFIG_VERSIONS_MIGRATION,
  latestConfigVersion,
  listConfigVersions,
  publishConfigVersion,
  type PublishedConfigFile,
  type PublishedConfigVersion,
} from './clickhouse/config-versions.js';
export {
  readHealthInsights,
  type CancellationFigure,
  type CaseRuleFigure,
  type FreshnessFigure,
  type HealthInsights,
  type HealthReadOptions,
  type OtdFigure,
  type StrategyChangeFigure,
  type StuckFigure,
} from './clickhouse/health-reader.js';
export { phoneSql, identifierSql } from './clickhouse/search-term-sql.js';
export {
  GOLDEN_ORDER_FILTERS,
  searchGoldenOrders,
  type GoldenOrderFilters,
  type GoldenOrderHit,
  type GoldenOrderSearchKey,
} from './clickhouse/order-search-reader.js';
export { MAX_ORDER_EVENTS, readOrderEvents, type StoredEvent } from './clickhouse/order-events-reader.js';
export { loadShipmentLinkFacts, type ShipmentLinkFact } from './clickhouse/shipment-link-reader.js';
export { LAKE_VERSION_AT_MIGRATION, LAKE_VERSION_MIGRATION } from './clickhouse/lake-version-migration.js';
export {
  ordersTouchedInWindow,
  unknownOrderMessagesInWindow,
  rawMessagesOfOrders,
  lakePositionsOfOrders,
  goldenViewsOfOrders,
  deadLettersAt,
  positionKey,
  type StoredRawMessage,
  type TimeWindow,
  type MessagePosition,
} from './clickhouse/sandbox-reader.js';
