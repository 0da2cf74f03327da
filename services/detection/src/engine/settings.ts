import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { Observed } from './rule';

/** The longest window an org can configure (7 days); observed events are kept a day longer. */
export const MAX_WINDOW_SECONDS = 7 * 24 * 60 * 60;

const ipOrCidr = z.string().refine(
  (s) => {
    const [addr, bits, ...rest] = s.split('/');
    const family = isIP(addr ?? '');
    if (!family || rest.length) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d{1,3}$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
  },
  { message: 'must be an IPv4/IPv6 address or CIDR range, e.g. 10.0.0.0/8' },
);

/** Settings every rule has: a switch and the allow-lists (events from these never count for the rule). */
export const commonSettings = {
  enabled: z.boolean().default(true),
  allowIps: z.array(ipOrCidr).max(1000).default([]),
  allowAccounts: z.array(z.string().min(1).max(320)).max(1000).default([]),
};
export interface CommonSettings {
  enabled: boolean;
  allowIps: string[];
  allowAccounts: string[];
}

/** Threshold and window of a windowed rule, with the rule's defaults. */
export function windowSettings(defaults: { threshold: number; windowSeconds: number }) {
  return {
    threshold: z.number().int().min(1).max(1_000_000).default(defaults.threshold),
    windowSeconds: z.number().int().min(1).max(MAX_WINDOW_SECONDS).default(defaults.windowSeconds),
  };
}

const blockLists = new WeakMap<CommonSettings, BlockList>();

function blockListOf(settings: CommonSettings): BlockList {
  let list = blockLists.get(settings);
  if (!list) {
    list = new BlockList();
    for (const entry of settings.allowIps) {
      const [addr, bits] = entry.split('/');
      const type = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(addr!, type);
      else list.addSubnet(addr!, Number(bits), type);
    }
    blockLists.set(settings, list);
  }
  return list;
}

/** True when the event's IP or account is on the rule's allow-list for this org. */
export function allowListed(settings: CommonSettings, ip: string | null | undefined, account: string | null | undefined): boolean {
  if (account && settings.allowAccounts.length && settings.allowAccounts.some((a) => a.toLowerCase() === account.toLowerCase())) return true;
  if (!ip || !settings.allowIps.length) return false;
  const family = isIP(ip);
  return family !== 0 && blockListOf(settings).check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

export const allowListedEvent = (settings: CommonSettings, e: Observed) => allowListed(settings, e.ip, e.account);
