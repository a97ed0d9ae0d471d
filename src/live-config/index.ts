/**
 * Live reload of pipelines and rules (issue 13): files watched, a change checked as start-up checks
 * it, published for every worker (`config_versions`) and swapped in between batches.
 */
export * from './config-set.js';
export * from './live-config.js';
export * from './config-watcher.js';
export { createLiveIngestor } from './live-ingestor.js';
export { CONFIG_VERSION_HEADER, withConfigVersion } from './config-version-header.js';
