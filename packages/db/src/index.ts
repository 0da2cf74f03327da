export * from './database';
export * from './migrations';
export * from './provision';
export { sql } from 'kysely';
export type { Kysely, Transaction, Selectable, Insertable, Updateable, Generated, ColumnType, Migration } from 'kysely';
