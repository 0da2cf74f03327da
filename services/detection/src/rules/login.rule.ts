import { z } from 'zod';
import type { EventFinding, EventRule, KeyKind, Observed, StateView } from '../engine/rule';
import { commonSettings, windowSettings } from '../engine/settings';
import { distinct, duration, eventIdsOf } from './text';

const takeoverSettings = z.object({ ...commonSettings, ...windowSettings({ threshold: 5, windowSeconds: 15 * 60 }) }).strict();
type TakeoverSettings = z.infer<typeof takeoverSettings>;

/** Set on a successful login once it raised a takeover detection, so neither direction raises it again. */
const TAKEOVER_MARK = 'takeover';

function takeoverFinding(success: Observed, kind: KeyKind, failures: readonly Observed[], settings: TakeoverSettings): EventFinding {
  const who = success.account ?? success.ip!;
  const by = kind === 'ip' ? `from ${success.ip}` : `for ${success.account}`;
  return {
    idParts: [success.eventId],
    windowStart: failures[0]!.at,
    windowEnd: success.at,
    count: failures.length,
    threshold: settings.threshold,
    correlationKey: `account_takeover.success_after_failures:${who}`,
    title: `Successful login after ${failures.length} failures ${by}`,
    summary: `${success.account ?? 'An account'} logged in from ${success.ip} after ${failures.length} failed logins ${by} within ${duration(settings.windowSeconds * 1000)} (threshold ${settings.threshold}): the password may have been guessed.`,
    evidence: {
      ...(success.ip ? { ip: success.ip } : {}),
      ...(success.account ? { account: success.account } : {}),
      usernames: distinct(failures.map((f) => f.account)),
      eventIds: [success.eventId, ...eventIdsOf(failures).slice(0, 99)],
    },
    ...(success.account ? { affectedPerson: { account: success.account, ...(success.attrs?.userId ? { userId: String(success.attrs.userId) } : {}) } } : {}),
    remediation: [
      'End the session that followed the failures and lock the account until the owner is reached.',
      'Ask the owner whether the login was theirs; if not, reset the password and enforce MFA.',
      'Review what the session did (exports, admin actions, changed settings).',
    ],
    mark: { event: success, flag: TAKEOVER_MARK },
  };
}

const failuresBefore = (state: StateView, kind: KeyKind, value: string, at: number, windowMs: number) =>
  state.events('login.failed', kind, value).filter((f) => f.at >= at - windowMs && f.at < at);

/**
 * 5. A successful login for an account, or from an IP, that had at least 5 failures in the 15 minutes
 * before it. Judged when the success arrives and again when a late failure arrives before it.
 */
export const successAfterFailures: EventRule<TakeoverSettings> = {
  kind: 'event',
  id: 'account_takeover.success_after_failures',
  version: 1,
  category: 'account_takeover',
  severity: 'high',
  title: 'Successful login after failures',
  description: 'A login that succeeds right after a run of failures for the same account or from the same IP: the guessing worked.',
  eventTypes: ['login.succeeded', 'login.failed'],
  reads: [
    { type: 'login.failed', kind: 'ip' },
    { type: 'login.failed', kind: 'account' },
    { type: 'login.succeeded', kind: 'ip' },
    { type: 'login.succeeded', kind: 'account' },
  ],
  settings: takeoverSettings,
  evaluate: ({ event, observed, settings, state }) => {
    if (!observed) return [];
    const W = settings.windowSeconds * 1000;
    const kinds: KeyKind[] = ['ip', 'account'];
    if (event.type === 'login.succeeded') {
      if (observed.attrs?.[TAKEOVER_MARK]) return [];
      for (const kind of kinds) {
        const value = observed[kind];
        if (!value) continue;
        const failures = failuresBefore(state, kind, value, observed.at, W);
        if (failures.length >= settings.threshold) return [takeoverFinding(observed, kind, failures, settings)];
      }
      return [];
    }
    // A failure that arrives after the success it precedes: re-judge the successes it can complete.
    const found: EventFinding[] = [];
    for (const kind of kinds) {
      const value = observed[kind];
      if (!value) continue;
      for (const success of state.events('login.succeeded', kind, value)) {
        if (success.at <= observed.at || success.at > observed.at + W || success.attrs?.[TAKEOVER_MARK] || found.some((f) => f.mark?.event === success)) continue;
        const failures = failuresBefore(state, kind, value, success.at, W);
        if (failures.length >= settings.threshold) found.push(takeoverFinding(success, kind, failures, settings));
      }
    }
    return found;
  },
};

interface Geo {
  country?: string;
  latitude?: number;
  longitude?: number;
}
/** Where a successful login came from, as ingest's enrichment put it (absent when unknown). */
export function geoOf(event: unknown): Geo | undefined {
  const geo = (event as { enrichment?: { geo?: Geo } }).enrichment?.geo;
  return geo && typeof geo === 'object' ? geo : undefined;
}

const newLocationSettings = z.object({ ...commonSettings, minBaseline: z.number().int().min(1).max(1000).default(3) }).strict();

/**
 * 6. A successful login from a country never seen for the account before, once it has a baseline of
 * at least 3 located logins. Judged against the history known when the login arrives.
 */
export const newLocation: EventRule<z.infer<typeof newLocationSettings>> = {
  kind: 'event',
  id: 'anomalous_login.new_location',
  version: 1,
  category: 'anomalous_login',
  severity: 'medium',
  title: 'Login from a new country',
  description: 'An account with an established pattern logs in from a country it never used: travel, or someone else with the password.',
  eventTypes: ['login.succeeded'],
  reads: [{ type: 'login.succeeded', kind: 'account' }],
  settings: newLocationSettings,
  evaluate: ({ observed, settings, state }) => {
    const country = observed?.attrs?.country;
    if (!observed?.account || typeof country !== 'string') return [];
    const history = state.events('login.succeeded', 'account', observed.account).filter((e) => e.at < observed.at && typeof e.attrs?.country === 'string');
    const seen = new Set(history.map((e) => e.attrs!.country as string));
    if (history.length < settings.minBaseline || seen.has(country)) return [];
    return [
      {
        idParts: [observed.eventId],
        windowStart: history[0]!.at,
        windowEnd: observed.at,
        count: 1,
        threshold: 1,
        correlationKey: `anomalous_login.new_location:${observed.account}:${country}`,
        title: `${observed.account} logged in from a new country (${country})`,
        summary: `${observed.account} logged in from ${country} (IP ${observed.ip}); its ${history.length} earlier logins came from ${[...seen].join(', ')}.`,
        evidence: { account: observed.account, ...(observed.ip ? { ip: observed.ip } : {}), countries: [...seen].slice(0, 50), eventIds: [observed.eventId] },
        affectedPerson: { account: observed.account },
        remediation: [`Ask ${observed.account} whether they are in ${country}.`, 'If not: end the session, reset the password, enforce MFA.'],
      },
    ];
  },
};

const EARTH_RADIUS_KM = 6371;
/** Great-circle distance in km (haversine). */
export function haversineKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const travelSettings = z
  .object({
    ...commonSettings,
    maxSpeedKmh: z.number().min(1).max(100_000).default(1000),
    /** Geolocation of IPs is coarse: closer logins are never "travel". */
    minDistanceKm: z.number().min(0).max(20_000).default(100),
  })
  .strict();

const located = (e: Observed) => typeof e.attrs?.latitude === 'number' && typeof e.attrs?.longitude === 'number';
const point = (e: Observed) => ({ latitude: e.attrs!.latitude as number, longitude: e.attrs!.longitude as number });

/** 7. Two successful logins of one account whose distance over time needs more than 1,000 km/h. */
export const impossibleTravel: EventRule<z.infer<typeof travelSettings>> = {
  kind: 'event',
  id: 'anomalous_login.impossible_travel',
  version: 1,
  category: 'anomalous_login',
  severity: 'high',
  title: 'Impossible travel',
  description: 'Two logins of one account so far apart in so little time that one person could not have made both.',
  eventTypes: ['login.succeeded'],
  reads: [{ type: 'login.succeeded', kind: 'account' }],
  settings: travelSettings,
  evaluate: ({ observed, settings, state }) => {
    if (!observed?.account || !located(observed)) return [];
    const logins = state.events('login.succeeded', 'account', observed.account).filter(located);
    const i = logins.indexOf(observed);
    // Its neighbours in event time: a login arriving late is judged against both.
    const pairs = [logins[i - 1], logins[i + 1]].filter((e): e is Observed => !!e).map((other) => (other.at <= observed.at ? [other, observed] : [observed, other]) as [Observed, Observed]);
    const out: EventFinding[] = [];
    for (const [from, to] of pairs) {
      const km = haversineKm(point(from), point(to));
      const hours = Math.max(to.at - from.at, 1000) / 3_600_000;
      const speed = km / hours;
      if (km < settings.minDistanceKm || speed <= settings.maxSpeedKmh) continue;
      out.push({
        idParts: [from.eventId, to.eventId],
        windowStart: from.at,
        windowEnd: to.at,
        count: 2,
        threshold: 2,
        correlationKey: `anomalous_login.impossible_travel:${observed.account}`,
        title: `Impossible travel for ${observed.account}`,
        summary: `${observed.account} logged in from ${from.attrs?.country ?? from.ip} and ${Math.round((to.at - from.at) / 60_000)} minutes later from ${to.attrs?.country ?? to.ip}: ${Math.round(km)} km at ${Math.round(speed)} km/h (limit ${settings.maxSpeedKmh}).`,
        evidence: { account: observed.account, ips: distinct([from.ip, to.ip]), countries: distinct([from.attrs?.country as string, to.attrs?.country as string]), eventIds: [from.eventId, to.eventId], facts: { km: Math.round(km), kmh: Math.round(speed) } },
        affectedPerson: { account: observed.account },
        remediation: [`End all sessions of ${observed.account}.`, 'Reset the password and enforce MFA; check both sessions\' activity.'],
      });
    }
    return out;
  },
};
