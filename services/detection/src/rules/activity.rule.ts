import { z } from 'zod';
import type { EventRule, WindowRule } from '../engine/rule';
import { commonSettings, windowSettings } from '../engine/settings';
import { distinctValues } from './sliding-window';
import { distinct, duration, eventIdsOf } from './text';

const exportWindow = z.object({ ...commonSettings, ...windowSettings({ threshold: 11, windowSeconds: 60 * 60 }) }).strict();

/** 10a. More than 10 exports by one user within an hour (threshold 11). */
export const bulkExportCount: WindowRule<z.infer<typeof exportWindow>> = {
  kind: 'window',
  id: 'data_exfiltration.export_count',
  version: 1,
  category: 'data_exfiltration',
  severity: 'high',
  title: 'Many data exports by one user',
  description: 'One user exporting again and again: how data leaves a company one CSV at a time (the seed\'s bulk-download case).',
  eventTypes: ['data.export'],
  settings: exportWindow,
  keyKind: 'account',
  describe: ({ key: actor, window, events, settings }) => ({
    correlationKey: `data_exfiltration.export_count:${actor}`,
    title: `Bulk data download by ${actor}`,
    summary: `${window.count} exports by ${actor} within ${duration(settings.windowSeconds * 1000)} (threshold ${settings.threshold}), ${events.reduce((n, e) => n + Number(e.attrs?.recordCount ?? 0), 0)} records.`,
    evidence: { actor, ips: distinct(events.map((e) => e.ip)), eventIds: eventIdsOf(events), facts: { records: events.reduce((n, e) => n + Number(e.attrs?.recordCount ?? 0), 0) } },
    remediation: [`Confirm with ${actor}'s manager that the exports were needed.`, 'Suspend the export permission until confirmed.', 'List the exported records: they decide who must be notified if this was a breach.'],
  }),
};

const volumeSettings = z.object({ ...commonSettings, maxRecords: z.number().int().min(1).max(1e12).default(10_000) }).strict();

/** 10b. One export of more than the configured number of records. */
export const bulkExportVolume: EventRule<z.infer<typeof volumeSettings>> = {
  kind: 'event',
  id: 'data_exfiltration.export_volume',
  version: 1,
  category: 'data_exfiltration',
  severity: 'high',
  title: 'Export of too many records',
  description: 'A single export larger than the org allows (default 10,000 records).',
  eventTypes: ['data.export'],
  settings: volumeSettings,
  evaluate: ({ event, settings }) => {
    const { actor, resource, recordCount } = event.data as { actor: string; resource: string; recordCount: number };
    if (recordCount <= settings.maxRecords) return [];
    const at = Date.parse(event.time);
    return [
      {
        idParts: [event.id],
        windowStart: at,
        windowEnd: at,
        count: recordCount,
        threshold: settings.maxRecords + 1,
        correlationKey: `data_exfiltration.export_volume:${actor}`,
        title: `${actor} exported ${recordCount} records from ${resource}`,
        summary: `One export of ${recordCount} records from ${resource} by ${actor} (more than ${settings.maxRecords}).`,
        evidence: { actor, eventIds: [event.id], facts: { resource, records: recordCount } },
        remediation: [`Confirm with ${actor} why ${resource} was exported in full.`, 'Find where the file went (email, USB, cloud drive).', 'If it left the company: open the breach process for the people in it.'],
      },
    ];
  },
};

const deniedWindow = z.object({ ...commonSettings, ...windowSettings({ threshold: 20, windowSeconds: 10 * 60 }) }).strict();

/** 11. At least 20 access denials for one actor within 10 minutes (the seed's RLS-violation trigger). */
export const accessDeniedBurst: WindowRule<z.infer<typeof deniedWindow>> = {
  kind: 'window',
  id: 'privilege_probing.access_denied',
  version: 1,
  category: 'privilege_probing',
  severity: 'medium',
  title: 'Burst of access denials',
  description: 'One actor hitting authorisation walls again and again: probing for data it should not see, or a stolen session exploring.',
  eventTypes: ['access.denied'],
  settings: deniedWindow,
  keyKind: 'account',
  describe: ({ key: actor, window, events, settings }) => ({
    correlationKey: `privilege_probing.access_denied:${actor}`,
    title: `${actor} was denied access ${window.count} times`,
    summary: `${window.count} access denials for ${actor} within ${duration(settings.windowSeconds * 1000)} (threshold ${settings.threshold}).`,
    evidence: { actor, ips: distinct(events.map((e) => e.ip)), eventIds: eventIdsOf(events), facts: { resources: distinct(events.map((e) => e.attrs?.resource as string | undefined), 10).join(', ') } },
  }),
};

const massChangeWindow = z
  .object({
    ...commonSettings,
    ...windowSettings({ threshold: 50, windowSeconds: 10 * 60 }),
    /** An admin action counts when its name contains one of these (case-insensitive). */
    actionPatterns: z.array(z.string().min(1).max(64)).min(1).max(50).default(['delete', 'remove', 'update', 'change', 'modify', 'edit', 'revoke', 'put ', 'patch ']),
  })
  .strict();

/** 14. One admin deleting or changing at least 50 records within 10 minutes (insider threat). */
export const adminMassChange: WindowRule<z.infer<typeof massChangeWindow>> = {
  kind: 'window',
  id: 'insider_threat.admin_mass_change',
  version: 1,
  category: 'insider_threat',
  severity: 'high',
  title: 'Admin mass change',
  description: 'One administrator deleting or changing many records in minutes: sabotage, a compromised admin account, or a script gone wrong.',
  eventTypes: ['admin.action'],
  settings: massChangeWindow,
  keyKind: 'account',
  counts: (e, s) => {
    const action = String(e.attrs?.action ?? '').toLowerCase();
    return s.actionPatterns.some((p) => action.includes(p.toLowerCase()));
  },
  describe: ({ key: admin, window, events, settings }) => ({
    correlationKey: `insider_threat.admin_mass_change:${admin}`,
    title: `Admin ${admin} changed or deleted ${window.count} records`,
    summary: `${window.count} deleting or changing admin actions by ${admin} within ${duration(settings.windowSeconds * 1000)} (threshold ${settings.threshold}).`,
    evidence: { actor: admin, ips: distinct(events.map((e) => e.ip)), eventIds: eventIdsOf(events), facts: { actions: distinct(events.map((e) => e.attrs?.action as string | undefined), 10).join(', ') } },
    remediation: [`Suspend ${admin}'s admin rights until the changes are explained.`, 'Restore the changed records from backup or audit history.', 'Rotate the admin\'s credentials if the account may be compromised.'],
  }),
};

const manyIpsWindow = z.object({ ...commonSettings, ...windowSettings({ threshold: 5, windowSeconds: 60 * 60 }) }).strict();

/** 8. One account logging in successfully from at least 5 distinct IPs within an hour. */
export const manyIps: WindowRule<z.infer<typeof manyIpsWindow>> = {
  kind: 'window',
  id: 'anomalous_login.many_ips',
  version: 1,
  category: 'anomalous_login',
  severity: 'medium',
  title: 'One account, many IPs',
  description: 'Successful logins for one account from many addresses at once: a shared or stolen credential in use by several parties.',
  eventTypes: ['login.succeeded'],
  settings: manyIpsWindow,
  keyKind: 'account',
  measure: distinctValues((e) => e.ip),
  describe: ({ key: account, window, events, settings }) => ({
    correlationKey: `anomalous_login.many_ips:${account}`,
    title: `${account} logged in from ${window.count} IPs`,
    summary: `Successful logins for ${account} from ${window.count} distinct IPs within ${duration(settings.windowSeconds * 1000)} (threshold ${settings.threshold}).`,
    evidence: { account, ips: distinct(events.map((e) => e.ip)), eventIds: eventIdsOf(events) },
    affectedPerson: { account },
    remediation: [`End all sessions of ${account}.`, 'Ask the owner to change the password and turn on MFA.'],
  }),
};
