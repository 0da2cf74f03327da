import type { z } from 'zod';

/** One versioned event contract. A breaking change is a new definition beside this one, never an edit. */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  type: TType;
  version: number;
  schema: TSchema;
  /** CloudEvents `dataschema` naming this exact contract version. */
  dataschema: string;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(def: {
  type: TType;
  version: number;
  schema: TSchema;
}): EventDefinition<TType, TSchema> {
  return { ...def, dataschema: dataschemaFor(def.type, def.version) };
}

export function dataschemaFor(type: string, version: number): string {
  return `urn:vigil:event:${type}:v${version}`;
}

export type EventData<D extends EventDefinition> = z.infer<D['schema']>;
