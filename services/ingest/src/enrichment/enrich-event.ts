import type { EventEnrichment } from '@vigil/contracts';
import type { IpLocator } from './geo-locator';

/**
 * Which `data` field of each producer type holds the client's IP address; `null` for types that carry
 * none. Every producer type is listed (a spec checks it against the catalog), so a new type cannot
 * silently go without enrichment. No catalog type carries a location of its own, so there is no
 * producer-sent location to prefer: when one gains such a field, its entry here must say which wins.
 */
export const clientIpField: Readonly<Record<string, string | null>> = {
  'login.failed': 'ip',
  'login.succeeded': 'ip',
  'admin.action': 'ip',
  'data.export': 'ip',
  'access.denied': 'ip',
  'account.password_changed': 'ip',
  'account.mfa_enabled': 'ip',
  'account.mfa_disabled': 'ip',
  'thirdparty.shared': null,
  'credential.exposed': null,
};

/**
 * What ingest adds to a validated event of `type`: the location of its client IP, or which kind of
 * special-purpose address it is. Undefined when the type has no IP field or this event left it out,
 * so the normalised event then carries no `enrichment` at all.
 */
export function enrichEventData(type: string, data: unknown, locator: IpLocator): EventEnrichment | undefined {
  const field = Object.hasOwn(clientIpField, type) ? clientIpField[type] : undefined;
  if (!field || typeof data !== 'object' || data === null) return undefined;
  const ip = (data as Record<string, unknown>)[field];
  if (typeof ip !== 'string') return undefined;
  return { geo: locator.locate(ip) };
}
