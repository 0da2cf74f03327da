import { z } from 'zod';
import type { WindowRule } from '../engine/rule';
import { commonSettings, windowSettings } from '../engine/settings';
import { distinctValues } from './sliding-window';
import { distinct, duration, eventIdsOf } from './text';

const ipWindow = z.object({ ...commonSettings, ...windowSettings({ threshold: 5, windowSeconds: 15 * 60 }) }).strict();

/** 1. The seed's rule: at least 5 failed logins from one IP within 15 minutes (by event time). */
export const bruteForceByIp: WindowRule<z.infer<typeof ipWindow>> = {
  kind: 'window',
  id: 'brute_force.ip',
  version: 1,
  category: 'brute_force',
  severity: 'medium',
  title: 'Brute force from one IP',
  description: 'Many failed logins from one IP address in a short time: someone guessing passwords, whatever accounts they try.',
  eventTypes: ['login.failed'],
  settings: ipWindow,
  keyKind: 'ip',
  describe: ({ key: ip, window, events, settings }) => ({
    correlationKey: `brute_force.ip:${ip}`,
    title: `Brute force attack detected from ${ip}`,
    summary: `${window.count} failed logins from ${ip} within ${duration(settings.windowSeconds * 1000)} (threshold ${settings.threshold}).`,
    evidence: { ip, usernames: distinct(events.map((e) => e.account)), eventIds: eventIdsOf(events) },
  }),
};

const accountWindow = z.object({ ...commonSettings, ...windowSettings({ threshold: 10, windowSeconds: 15 * 60 }) }).strict();

/** 2. At least 10 failed logins for one account, from any IPs, within 15 minutes. */
export const bruteForceByAccount: WindowRule<z.infer<typeof accountWindow>> = {
  kind: 'window',
  id: 'brute_force.account',
  version: 1,
  category: 'brute_force',
  severity: 'high',
  title: 'Brute force on one account',
  description: 'Many failed logins for one account, possibly spread over many IPs to slip under per-IP limits: a targeted attack on that person.',
  eventTypes: ['login.failed'],
  settings: accountWindow,
  keyKind: 'account',
  describe: ({ key: account, window, events, settings }) => ({
    correlationKey: `brute_force.account:${account}`,
    title: `Brute force attack on account ${account}`,
    summary: `${window.count} failed logins for ${account} within ${duration(settings.windowSeconds * 1000)} from ${distinct(events.map((e) => e.ip), 1000).length} IP(s) (threshold ${settings.threshold}).`,
    evidence: { account, ips: distinct(events.map((e) => e.ip)), eventIds: eventIdsOf(events) },
    affectedPerson: { account },
    remediation: [
      `Check whether ${account} logged in successfully from an unknown IP after the failures.`,
      'Require multi-factor authentication for the account, or lock it until the owner confirms.',
      'Ask the owner to choose a new, unique password if a login succeeded.',
    ],
  }),
};

const stuffingWindow = z.object({ ...commonSettings, ...windowSettings({ threshold: 20, windowSeconds: 10 * 60 }) }).strict();

/** 3. One IP failing against at least 20 distinct accounts within 10 minutes. */
export const credentialStuffing: WindowRule<z.infer<typeof stuffingWindow>> = {
  kind: 'window',
  id: 'credential_stuffing.ip',
  version: 1,
  category: 'credential_stuffing',
  severity: 'high',
  title: 'Credential stuffing from one IP',
  description: 'One IP trying many different accounts: leaked username/password pairs replayed against the login. Counts distinct accounts, not attempts.',
  eventTypes: ['login.failed'],
  settings: stuffingWindow,
  keyKind: 'ip',
  measure: distinctValues((e) => e.account),
  describe: ({ key: ip, window, events, settings }) => ({
    correlationKey: `credential_stuffing.ip:${ip}`,
    title: `Credential stuffing from ${ip}`,
    summary: `Failed logins for ${window.count} distinct accounts from ${ip} within ${duration(settings.windowSeconds * 1000)} (threshold ${settings.threshold}).`,
    evidence: { ip, usernames: distinct(events.map((e) => e.account)), eventIds: eventIdsOf(events) },
    remediation: [
      `Block ${ip} at the edge or challenge it (CAPTCHA, rate limit).`,
      'Check the targeted accounts for successful logins from this IP and reset their passwords.',
      'Compare the usernames with known breach corpora: the list may come from another service.',
    ],
  }),
};
