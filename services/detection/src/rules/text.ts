/** "15 minutes", "1 hour", "90 seconds": windows as people say them. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? '' : 's'}`;
  if (s % 3600 === 0) return unit(s / 3600, 'hour');
  if (s % 60 === 0) return unit(s / 60, 'minute');
  return unit(s, 'second');
}

/** Distinct non-empty values in first-seen order, at most `max`. */
export function distinct(values: Iterable<string | null | undefined>, max = 50): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (v) out.add(v);
    if (out.size >= max) break;
  }
  return [...out];
}

export const eventIdsOf = (events: readonly { eventId: string }[]) => events.slice(0, 100).map((e) => e.eventId);
