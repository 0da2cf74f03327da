import { zodErrors } from '../validation';
import { obligationReportRequestV1, regimeSchema } from './obligations';

const pointers = (r: { success: boolean; error?: Parameters<typeof zodErrors>[0] }) => (r.success ? [] : zodErrors(r.error!).map((e) => e.pointer));

describe('obligation contracts', () => {
  it('a report names its rule, an instant with offset and a reference; reasons are optional', () => {
    expect(obligationReportRequestV1.safeParse({ ruleId: 'eu-gdpr.art33.authority', reportedAt: '2026-11-23T15:00:00+01:00', reference: 'APD-1' }).success).toBe(true);
    expect(pointers(obligationReportRequestV1.safeParse({ ruleId: 'EU GDPR', reportedAt: '23/11/2026', reference: '   ', reasonsForDelay: '', extra: 1 }))).toEqual([
      '/ruleId',
      '/reportedAt',
      '/reference',
      '/reasonsForDelay',
      '/',
    ]);
  });

  it('a regime rejects an unknown unit, clock start or condition where it stands', () => {
    const regime = {
      id: 'xx',
      name: 'X',
      authority: 'X',
      scope: { kind: 'people', countries: ['xx'] },
      timeZone: 'UTC',
      calendar: { weekendDays: [0, 6], fixedHolidays: ['13-01'], easterOffsets: [], dates: [] },
      rules: [
        {
          id: 'xx.a',
          audience: 'press',
          recipient: 'X',
          conditions: [{ kind: 'risk', atLeast: 'severe' }],
          exemptions: [],
          deadline: { kind: 'period', amount: 3, unit: 'weeks', clockStart: 'awareness' },
          reasonsForDelayRequired: false,
          noticeContent: [],
          citation: { reference: 'X 1' },
        },
      ],
    };
    expect(pointers(regimeSchema.safeParse(regime))).toEqual([
      '/scope/countries/0',
      '/calendar/fixedHolidays/0',
      '/rules/0/audience',
      '/rules/0/conditions/0/atLeast',
      '/rules/0/deadline/unit',
    ]);
  });
});
