/** INC-YYYYMMDD-NNNN, numbered per organisation and UTC day; widens past 9999 rather than failing. */
export function formatIncidentNumber(day: string, n: number): string {
  return `INC-${day.replace(/-/g, '')}-${String(n).padStart(4, '0')}`;
}

/** The UTC calendar day of an instant, as YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
