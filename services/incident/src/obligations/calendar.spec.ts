import fc from 'fast-check';
import type { BusinessCalendar } from '@vigil/contracts';
import { addDays, easterSunday, endOfLocalDay, isBusinessDay, localDateOf, periodEnd, startOfLocalDay, type LocalDate } from './calendar';

const weekends: BusinessCalendar = { weekendDays: [0, 6], fixedHolidays: [], easterOffsets: [], dates: [] };
const brazil: BusinessCalendar = { weekendDays: [0, 6], fixedHolidays: ['11-20', '12-25'], easterOffsets: [-2], dates: [] };

/** "Mon 17:00" as the wall clock of a zone shows the instant. */
const wall = (iso: string, timeZone: string) => {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.weekday} ${p.day}/${p.month} ${p.hour}:${p.minute}`;
};

describe('periodEnd', () => {
  it('runs hours in absolute time across a weekend: Friday 17:00 Brussels + 72 h is Monday 17:00', () => {
    const due = periodEnd(new Date('2026-11-20T16:00:00Z'), 72, 'hours', 'Europe/Brussels', weekends);
    expect(due.toISOString()).toBe('2026-11-23T16:00:00.000Z');
    expect(wall(due.toISOString(), 'Europe/Brussels')).toBe('Mon 23/11 17:00');
  });

  it('runs hours through a DST change: 72 elapsed hours from Friday 17:00 CEST end Monday 16:00 CET', () => {
    const due = periodEnd(new Date('2026-10-23T15:00:00Z'), 72, 'hours', 'Europe/Brussels', weekends);
    expect(due.toISOString()).toBe('2026-10-26T15:00:00.000Z');
    expect(wall(due.toISOString(), 'Europe/Brussels')).toBe('Mon 26/10 16:00');
  });

  it('counts calendar days from the next day and ends with the last day in the zone', () => {
    // Discovered 10 March 2026 08:00 in Los Angeles (PDT since 8 March): day 30 is 9 April.
    expect(periodEnd(new Date('2026-03-10T15:00:00Z'), 30, 'calendar_days', 'America/Los_Angeles', weekends).toISOString()).toBe('2026-04-10T06:59:59.999Z');
    // Late evening in Los Angeles is already the next day in UTC: the local date decides.
    expect(periodEnd(new Date('2026-03-11T06:30:00Z'), 1, 'calendar_days', 'America/Los_Angeles', weekends).toISOString()).toBe('2026-03-12T06:59:59.999Z');
  });

  it('counts business days past the weekend: Friday + 3 is the end of the following Wednesday', () => {
    expect(periodEnd(new Date('2026-11-27T13:00:00Z'), 3, 'business_days', 'America/Sao_Paulo', brazil).toISOString()).toBe('2026-12-03T02:59:59.999Z');
  });

  it("skips the calendar's holidays: Thursday before Brazil's 20 November holiday + 3 is the following Wednesday", () => {
    expect(periodEnd(new Date('2026-11-19T13:00:00Z'), 3, 'business_days', 'America/Sao_Paulo', brazil).toISOString()).toBe('2026-11-26T02:59:59.999Z');
    expect(periodEnd(new Date('2026-11-19T13:00:00Z'), 3, 'business_days', 'America/Sao_Paulo', weekends).toISOString()).toBe('2026-11-25T02:59:59.999Z');
  });

  it('counts a clock started on a weekend from the next business day', () => {
    // Saturday 21 November: Monday, Tuesday, Wednesday.
    expect(periodEnd(new Date('2026-11-21T13:00:00Z'), 3, 'business_days', 'America/Sao_Paulo', weekends).toISOString()).toBe('2026-11-26T02:59:59.999Z');
  });

  it('adds calendar months to the same day, or the last day of a shorter month', () => {
    expect(periodEnd(new Date('2026-03-15T10:00:00Z'), 1, 'calendar_months', 'Europe/Brussels', weekends).toISOString()).toBe('2026-04-15T21:59:59.999Z');
    expect(periodEnd(new Date('2027-01-31T10:00:00Z'), 1, 'calendar_months', 'Europe/Brussels', weekends).toISOString()).toBe('2027-02-28T22:59:59.999Z');
    expect(periodEnd(new Date('2026-12-10T10:00:00Z'), 1, 'calendar_months', 'Europe/Brussels', weekends).toISOString()).toBe('2027-01-10T22:59:59.999Z');
  });
});

describe('local days', () => {
  it('finds the start and end of a day across a DST change (a 23-hour day in Brussels)', () => {
    expect(startOfLocalDay({ year: 2026, month: 3, day: 29 }, 'Europe/Brussels').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(endOfLocalDay({ year: 2026, month: 3, day: 29 }, 'Europe/Brussels').toISOString()).toBe('2026-03-29T21:59:59.999Z');
  });

  it('starts a day whose midnight does not exist (Santiago springs forward at 24:00) at its first instant', () => {
    expect(startOfLocalDay({ year: 2026, month: 9, day: 6 }, 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(endOfLocalDay({ year: 2026, month: 9, day: 5 }, 'America/Santiago').toISOString()).toBe('2026-09-06T03:59:59.999Z');
  });

  it('computes Western Easter, so Good Friday is a Brazilian holiday', () => {
    expect(easterSunday(2025)).toEqual({ year: 2025, month: 4, day: 20 });
    expect(easterSunday(2026)).toEqual({ year: 2026, month: 4, day: 5 });
    expect(easterSunday(2027)).toEqual({ year: 2027, month: 3, day: 28 });
    expect(isBusinessDay({ year: 2027, month: 3, day: 26 }, brazil)).toBe(false);
    expect(isBusinessDay({ year: 2027, month: 3, day: 25 }, brazil)).toBe(true);
    expect(isBusinessDay({ year: 2027, month: 3, day: 26 }, weekends)).toBe(true);
  });
});

describe('periodEnd properties (DST on either hemisphere, DST at midnight, odd offsets, none)', () => {
  const zones = ['Europe/Brussels', 'America/Sao_Paulo', 'America/Los_Angeles', 'Australia/Sydney', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'America/Santiago', 'America/Havana', 'Asia/Beirut', 'UTC'];
  const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 11, 31) }).map((t) => new Date(t));
  const zone = fc.constantFrom(...zones);
  const sameDay = (a: LocalDate, b: LocalDate) => a.year === b.year && a.month === b.month && a.day === b.day;

  it('a day period ends on the last millisecond of the local day N days after the start day', () => {
    fc.assert(
      fc.property(instant, zone, fc.integer({ min: 1, max: 90 }), (start, tz, days) => {
        const end = periodEnd(start, days, 'calendar_days', tz, weekends);
        const lastDay = addDays(localDateOf(start, tz), days);
        return sameDay(localDateOf(end, tz), lastDay) && !sameDay(localDateOf(new Date(end.getTime() + 1), tz), lastDay);
      }),
    );
  });

  it('a business-day period ends at the end of a business day, with exactly N business days after the start day', () => {
    fc.assert(
      fc.property(instant, zone, fc.integer({ min: 1, max: 20 }), (start, tz, n) => {
        const end = localDateOf(periodEnd(start, n, 'business_days', tz, brazil), tz);
        let counted = 0;
        for (let d = addDays(localDateOf(start, tz), 1); !sameDay(d, addDays(end, 1)); d = addDays(d, 1)) if (isBusinessDay(d, brazil)) counted++;
        return isBusinessDay(end, brazil) && counted === n;
      }),
    );
  });

  it('an hour period is exactly that many elapsed hours, in any zone', () => {
    fc.assert(fc.property(instant, zone, fc.integer({ min: 1, max: 200 }), (start, tz, h) => periodEnd(start, h, 'hours', tz, weekends).getTime() - start.getTime() === h * 3_600_000));
  });
});
