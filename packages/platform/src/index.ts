export * from './config';
export * from './logger';
export * from './tokens';
export * from './problem';
export * from './runtime';
export * from './health.controller';
export * from './core.module';
export * from './bootstrap';
