export * from './oracle';
export * from './workload';
export * from './producer';
export * from './stack';
export * from './checks';
export * from './run';
export * from './report';
