export * from './wait';
export * from './postgres';
export * from './nats';
export * from './smtp-sink';
export * from './service-process';
export * from './private-postgres';
export * from './hibp-fake';
