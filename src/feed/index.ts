export { createChangeFeed, type ChangeFeed, type ChangeListener, type FeedChange } from './change-feed.js';
