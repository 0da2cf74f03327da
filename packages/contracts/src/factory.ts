import type { EventDefinition, EventData } from './registry';
import type { VigilEvent } from './envelope';
import { newId } from './ids';

/** Builds a Vigil event for a contract; data is validated so a service can never publish a malformed event. */
export function createEvent<D extends EventDefinition>(
  def: D,
  args: { orgid: string; source: string; data: EventData<D>; id?: string; time?: Date | string; subject?: string },
): VigilEvent<D['type'], EventData<D>> {
  const data = def.schema.parse(args.data) as EventData<D>;
  const time = args.time === undefined ? new Date().toISOString() : new Date(args.time).toISOString();
  return {
    specversion: '1.0',
    id: args.id ?? newId(),
    source: args.source,
    type: def.type,
    time,
    ...(args.subject !== undefined ? { subject: args.subject } : {}),
    datacontenttype: 'application/json',
    dataschema: def.dataschema,
    orgid: args.orgid,
    data,
  };
}
