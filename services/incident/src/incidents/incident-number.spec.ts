import { formatIncidentNumber, utcDay } from './incident-number';

describe('incident numbers', () => {
  it('formats INC-YYYYMMDD-NNNN', () => {
    expect(formatIncidentNumber('2026-11-23', 7)).toBe('INC-20261123-0007');
  });
  it('widens past 9999 instead of colliding', () => {
    expect(formatIncidentNumber('2026-11-23', 10000)).toBe('INC-20261123-10000');
  });
  it('uses the UTC day', () => {
    expect(utcDay(new Date('2026-11-23T23:30:00-05:00'))).toBe('2026-11-24');
  });
});
