import type { SlidingWindowRule } from './sliding-window-rule';

const minutes = (ms: number) => {
  const m = ms / 60_000;
  return Number.isInteger(m) ? `${m} minute${m === 1 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`;
};

/** The seed's rule: at least 5 failed logins from one IP within 15 minutes (by event time). */
export const bruteForceByIp: SlidingWindowRule = {
  id: 'brute_force.ip',
  version: 1,
  severity: 'medium',
  defaults: { threshold: 5, windowSeconds: 15 * 60 },
  keyColumn: 'ip',
  keyOf: (login) => login.ip,
  describe: ({ key: ip, window, events, settings }) => {
    const usernames = [...new Set(events.map((e) => e.username).filter((u): u is string => !!u))].slice(0, 50);
    return {
      correlationKey: `brute_force.ip:${ip}`,
      title: `Brute force attack detected from ${ip}`,
      summary: `${window.count} failed logins from ${ip} within ${minutes(settings.windowMs)} (threshold ${settings.threshold}).`,
      evidence: { ip, usernames, eventIds: events.slice(0, 100).map((e) => e.eventId) },
    };
  },
};
