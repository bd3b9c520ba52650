export * from './types.js';
export { applyEntries, initialView, reduceView, toLogLine, LOG_CAPACITY, REVIEWS_KEPT } from './reduce.js';
export { addUsage, ZERO_USAGE } from './workers.js';
export { describeFilter, isEmptyFilter, matchesFilter, NO_FILTER, parseFilter, type LogFilter } from './filter.js';
