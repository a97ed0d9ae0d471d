/** Test support: the instants the health tests count from (the golden tests' T0) and ISO rendering. */
export { T0, MINUTE, HOUR, DAY, iso } from '../../../helpers/golden-events.js';
export const SECOND_MS = 1000;
