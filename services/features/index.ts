/**
 * The feature retrieval service: versioned, immutable feature definitions (`name@version`),
 * values pushed or materialized by an extractor and transformers, served online (latest or as of
 * a time) and historically (point-in-time rows for training sets), stored in SQLite or Redis.
 * `main.ts` runs it as a process.
 */
export { FeaturesService, FEATURES_SERVICE, FEATURES_PROTO } from './service.js';
export type { FeaturesServiceOptions, FeaturesServiceState } from './service.js';
export { FEATURES_OPTIONS, resolveFeaturesConfig } from './config.js';
export type { FeaturesConfig } from './config.js';
export { FeaturesClient } from './client.js';
export type { CallOptions } from './client.js';
export { parseRef, formatRef, checkEntityId, FEATURE_NAME_PATTERN } from './refs.js';
export type { FeatureRef } from './refs.js';
export { normalizeDefinition, normalizeFeatureService, canonicalJson, contentHash } from './definitions.js';
export type { FeatureDefinition, FeatureServiceDefinition } from './definitions.js';
export { loadDefinitionFile, loadDefinitionPaths } from './definition-file.js';
export type { DefinitionFile, LoadedDefinitionFile } from './definition-file.js';
export { collectDefinitions, diffPaths, makePlan, planSummary } from './plan.js';
export type { LocalFeature, LocalService, Plan, PlanAction, PlanItem, RegisteredState } from './plan.js';
export { applyTransforms } from './transformers.js';
export type { SourceRow } from './transformers.js';
export { ExtractStats, extract } from './extractors.js';
export type { ExtractRange } from './extractors.js';
export { TIMESTAMP_FORMATS, parseIsoDateTime, parseTimeArg, readTimestamp } from './times.js';
export type { TimestampFormatName } from './times.js';
export { parseCsv, readCsvObjects, csvLine } from './csv.js';
export { CsvError, ExtractError, TransformError, CoercionError, TimeFormatError } from './errors.js';
export { LruTtlCache } from './cache.js';
export type { LruTtlCacheOptions, CacheStats } from './cache.js';
export { SqliteStore } from './sqlite-store.js';
export { RedisStore } from './redis-store.js';
export type { RedisStoreOptions } from './redis-store.js';
export { LATEST } from './store.js';
export type { FeatureStore, StoredValue, ReadQuery, WriteRow, CatalogEntry, StoreBackend } from './store.js';
export { coerceValue, toProtoValue, fromProtoValue, VALUE_TYPES } from './values.js';
export type { ValueTypeName, PlainValue } from './values.js';
