export * from './errors.js';
export * from './events.js';
export * from './ids.js';
export * from './lesson.js';
export * from './media.js';
export * from './roles.js';
export * from './token.js';
