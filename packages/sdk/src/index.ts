export * from './client';
export * from './types';
export * from './errors';
export * from './backoff';
export * from './batching';
