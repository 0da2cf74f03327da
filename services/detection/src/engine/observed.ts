import type { AccessDeniedV1, AdminActionV1, DataExportV1, LoginFailedV1, LoginSucceededV1, VigilEvent } from '@vigil/contracts';
import type { EventAttrs } from '../db/schema';
import { geoOf } from '../rules/login.rule';
import type { Observed } from './rule';

type Fields = Pick<Observed, 'ip' | 'account' | 'attrs'>;

/** What the engine keeps of each event type a rule counts or reads: the key columns and a few facts. */
const observers: Record<string, (data: any, event: VigilEvent) => Fields> = {
  'login.failed': (d: LoginFailedV1) => ({ ip: d.ip, account: d.username ?? d.userId ?? null, attrs: null }),
  'login.succeeded': (d: LoginSucceededV1, event) => {
    const geo = geoOf(event);
    const attrs: EventAttrs = {};
    if (d.userId) attrs.userId = d.userId;
    if (typeof geo?.country === 'string') attrs.country = geo.country;
    if (typeof geo?.latitude === 'number' && typeof geo?.longitude === 'number') {
      attrs.latitude = geo.latitude;
      attrs.longitude = geo.longitude;
    }
    return { ip: d.ip, account: d.username ?? d.userId ?? null, attrs: Object.keys(attrs).length ? attrs : null };
  },
  'data.export': (d: DataExportV1) => ({ ip: d.ip ?? null, account: d.actor, attrs: { recordCount: d.recordCount } }),
  'access.denied': (d: AccessDeniedV1) => ({ ip: d.ip ?? null, account: d.actor, attrs: { resource: d.resource } }),
  'admin.action': (d: AdminActionV1) => ({ ip: d.ip ?? null, account: d.adminId, attrs: { action: d.action } }),
};

export function observable(type: string): boolean {
  return type in observers;
}

export function toObserved(event: VigilEvent): Observed {
  const f = observers[event.type]!(event.data, event);
  return { eventId: event.id, type: event.type, at: Date.parse(event.time), ...f };
}
