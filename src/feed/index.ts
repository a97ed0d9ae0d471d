export { createChangeFeed, type ChangeFeed, type ChangeListener, type FeedChange } from './change-feed.js';
export { createCaseFeed, type CaseFeed, type CaseListener } from './case-feed.js';
export { createFollowedFeed, type FollowedFeed, type FollowedVersion } from './followed-feed.js';
