export * from './events.js';
export * from './models.js';
