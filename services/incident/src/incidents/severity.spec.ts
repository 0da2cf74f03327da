import { classifySeverity, type SeverityFacts } from './severity';
import { effectiveAffected } from './incident.service';

const facts = (f: Partial<SeverityFacts>): SeverityFacts => ({ dataCategories: ['email'], affected: 0, activeThreat: false, baseline: null, ...f });
const severityFor = (f: Partial<SeverityFacts>) => classifySeverity(facts(f)).severity;

describe('severity from the classification table', () => {
  it.each([
    [0, 'low'],
    [9, 'low'],
    [10, 'medium'],
    [100, 'medium'],
    [101, 'high'],
    [1000, 'high'],
    [1001, 'critical'],
  ] as const)('%i people affected -> %s', (affected, expected) => {
    expect(severityFor({ affected })).toBe(expected);
  });

  it('payment data is critical whatever the count', () => {
    expect(severityFor({ affected: 1, dataCategories: ['payment_card'] })).toBe('critical');
    expect(severityFor({ affected: 1, dataCategories: ['bank_account'] })).toBe('critical');
  });

  it('an active threat is critical', () => {
    expect(severityFor({ affected: 0, activeThreat: true })).toBe('critical');
  });

  it('sensitive personal data is at least high', () => {
    expect(severityFor({ affected: 3, dataCategories: ['health'] })).toBe('high');
    expect(severityFor({ affected: 5000, dataCategories: ['health'] })).toBe('critical');
  });

  it('a detection severity is a floor the facts can only raise', () => {
    expect(severityFor({ affected: 0, baseline: 'medium' })).toBe('medium');
    expect(severityFor({ affected: 2000, baseline: 'medium' })).toBe('critical');
  });

  it('names every row that applied', () => {
    expect(classifySeverity(facts({ affected: 150, dataCategories: ['payment_card'] })).reasons).toEqual([
      'critical: payment data exposed (payment_card)',
      'high: 150 people affected (101-1,000)',
    ]);
  });

  it('counts people as the largest of the declared count, the per-region counts and the rows', () => {
    expect(effectiveAffected({ affectedCount: 5, affectedByRegion: [{ country: 'DE', count: 7 }, { country: 'FR', count: 4 }] }, 2)).toBe(11);
    expect(effectiveAffected({ affectedCount: null, affectedByRegion: [] }, 12)).toBe(12);
    expect(effectiveAffected({ affectedCount: 50, affectedByRegion: [] }, 12)).toBe(50);
  });
});
