import type { BusinessCalendar, DeadlineUnit } from '@vigil/contracts';

/** A calendar date with no zone: what a regulator's "day" is. */
export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

// formatToParts costs ~12 µs and an incident's deadlines ask about the same few instants again and
// again (every day-counted rule starts from the same awareness or discovery): remember recent answers.
const wallClocks = new Map<string, WallClock>();
const WALL_CLOCK_CACHE_SIZE = 10_000;

/** Wall-clock fields of an instant in a zone (to the second). */
function wallClock(instant: Date, timeZone: string): WallClock {
  const key = `${timeZone}|${Math.floor(instant.getTime() / 1000)}`;
  let w = wallClocks.get(key);
  if (!w) {
    const parts = Object.fromEntries(formatter(timeZone).formatToParts(instant).map((p) => [p.type, p.value]));
    w = { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour!, minute: +parts.minute!, second: +parts.second! };
    if (wallClocks.size >= WALL_CLOCK_CACHE_SIZE) wallClocks.clear();
    wallClocks.set(key, w);
  }
  return w;
}

/** The zone's offset from UTC at an instant, in ms (east positive). */
function offsetAt(instant: Date, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

export function localDateOf(instant: Date, timeZone: string): LocalDate {
  const { year, month, day } = wallClock(instant, timeZone);
  return { year, month, day };
}

/**
 * The instant a local date begins in a zone. Two passes settle the offset; where midnight falls in a
 * DST gap, the day begins at the first instant after it.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  const naive = Date.UTC(date.year, date.month - 1, date.day);
  let guess = naive - offsetAt(new Date(naive), timeZone);
  guess = naive - offsetAt(new Date(guess), timeZone);
  const landed = localDateOf(new Date(guess), timeZone);
  return compareDates(landed, date) < 0 ? new Date(guess + 3_600_000) : new Date(guess);
}

/** The last millisecond of a local date: a period counted in days ends when its last day does. */
export function endOfLocalDay(date: LocalDate, timeZone: string): Date {
  return new Date(startOfLocalDay(addDays(date, 1), timeZone).getTime() - 1);
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Same day-of-month N months on; a day the month lacks becomes its last day (Reg. 1182/71 Art. 3(2)(c)). */
export function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day: Math.min(date.day, lastDay) };
}

function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

export function isoDate(date: LocalDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** Western Easter Sunday (anonymous Gregorian algorithm). */
export function easterSunday(year: number): LocalDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { year, month, day };
}

export function isBusinessDay(date: LocalDate, calendar: BusinessCalendar): boolean {
  const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  if (calendar.weekendDays.includes(weekday)) return false;
  const iso = isoDate(date);
  if (calendar.fixedHolidays.includes(iso.slice(5)) || calendar.dates.includes(iso)) return false;
  const easter = easterSunday(date.year);
  return !calendar.easterOffsets.some((offset) => compareDates(addDays(easter, offset), date) === 0);
}

/**
 * When a period ends. Hours run in absolute time, through nights, weekends and DST changes (a 72 h
 * period is 72 elapsed hours). Day and month periods leave out the day the clock starts (it counts
 * from the next day) and end with the last millisecond of their last day in the regime's zone;
 * business days skip the calendar's weekends and holidays.
 */
export function periodEnd(start: Date, amount: number, unit: DeadlineUnit, timeZone: string, calendar: BusinessCalendar): Date {
  if (unit === 'hours') return new Date(start.getTime() + amount * 3_600_000);
  const startDay = localDateOf(start, timeZone);
  if (unit === 'calendar_days') return endOfLocalDay(addDays(startDay, amount), timeZone);
  if (unit === 'calendar_months') return endOfLocalDay(addMonths(startDay, amount), timeZone);
  let day = startDay;
  for (let counted = 0; counted < amount; ) {
    day = addDays(day, 1);
    if (isBusinessDay(day, calendar)) counted++;
  }
  return endOfLocalDay(day, timeZone);
}

/** The end of the calendar year an instant falls in, in a zone (HIPAA's small-breach log counts from it). */
export function endOfLocalYear(instant: Date, timeZone: string): Date {
  return endOfLocalDay({ year: localDateOf(instant, timeZone).year, month: 12, day: 31 }, timeZone);
}
