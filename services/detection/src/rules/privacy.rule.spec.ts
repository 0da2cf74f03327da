import { createEvent, credentialExposedV1, thirdPartySharedV1, adminActionV1, type CredentialExposedV1 } from '@vigil/contracts';
import { afterHoursAdmin, credentialExposure, exposureSeverity, localTime, thirdPartySharing, withinBusinessHours } from './privacy.rule';
import { haversineKm } from './login.rule';

const org = '7c0e0c4e-6a6f-4b8e-9f57-1f0a7d3c2b11';
const noState = { events: () => [] };

describe('credential_exposure.account severity matrix', () => {
  const base: Pick<CredentialExposedV1, 'passwordForm' | 'sourceType' | 'exposedDataTypes'> = { passwordForm: 'none', sourceType: 'service_breach', exposedDataTypes: ['email'] };
  it.each([
    ['plaintext', 'service_breach', ['email', 'password'], 'critical'],
    ['weak_hash', 'service_breach', ['email', 'password_hash'], 'high'],
    ['strong_hash', 'service_breach', ['email', 'password_hash'], 'medium'],
    ['none', 'service_breach', ['email'], 'low'],
    ['none', 'service_breach', ['email', 'payment_card'], 'high'],
    ['none', 'stealer_malware', ['email'], 'critical'],
    ['strong_hash', 'stealer_malware', ['email', 'password_hash'], 'critical'],
  ] as const)('%s via %s exposing %j is %s', (passwordForm, sourceType, exposedDataTypes, severity) => {
    expect(exposureSeverity({ ...base, passwordForm, sourceType, exposedDataTypes: [...exposedDataTypes] })).toBe(severity);
  });

  it('raises one detection naming the person, with steps that start from the compromised device for stealer logs', () => {
    const event = createEvent(credentialExposedV1, {
      orgid: org,
      source: 'test',
      data: { account: 'carol@acme.test', breachSource: 'stealer-log-2026-11', sourceType: 'stealer_malware', exposedDataTypes: ['email', 'password'], passwordForm: 'plaintext' },
    });
    const [finding, ...rest] = credentialExposure.evaluate({ event, settings: credentialExposure.settings.parse({}), state: noState });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'critical', affectedPerson: { account: 'carol@acme.test' }, correlationKey: 'credential_exposure.account:carol@acme.test:stealer-log-2026-11' });
    expect(finding!.remediation![0]).toMatch(/device as compromised/);
    expect(finding!.remediation!.some((s) => /from a clean device/.test(s))).toBe(true);
  });
});

describe('unlawful_sharing.thirdparty', () => {
  const share = (consentObtained: boolean, sensitive: boolean, service = 'ads.example') =>
    createEvent(thirdPartySharedV1, { orgid: org, source: 'test', data: { service, dataCategories: ['health'], purpose: 'ads', userId: 'usr_1', consentObtained, sensitive } });
  const settings = thirdPartySharing.settings.parse({});
  const severities = (e: ReturnType<typeof share>, s = settings) => thirdPartySharing.evaluate({ event: e, settings: s, state: noState }).map((f) => f.severity);

  it('flags sharing without consent (high), of sensitive data (medium), both (critical); not consented ordinary data', () => {
    expect(severities(share(false, false))).toEqual(['high']);
    expect(severities(share(true, true))).toEqual(['medium']);
    expect(severities(share(false, true))).toEqual(['critical']);
    expect(severities(share(true, false))).toEqual([]);
  });

  it('never flags an approved recipient', () => {
    expect(severities(share(false, true, 'Processor.example'), thirdPartySharing.settings.parse({ approvedRecipients: ['processor.example'] }))).toEqual([]);
  });
});

describe('after_hours.admin', () => {
  const settings = afterHoursAdmin.settings.parse({ enabled: true, timeZone: 'Europe/Berlin' });
  const action = (iso: string) => createEvent(adminActionV1, { orgid: org, source: 'test', time: iso, data: { adminId: 'adm_1', action: 'user.deleted' } });

  it('reads the wall clock of the org\'s time zone, daylight saving included', () => {
    expect(localTime(Date.parse('2026-07-01T05:59:00Z'), 'Europe/Berlin')).toEqual({ day: 'Wed', time: '07:59' });
    expect(localTime(Date.parse('2026-12-01T06:59:00Z'), 'Europe/Berlin')).toEqual({ day: 'Tue', time: '07:59' });
    expect(withinBusinessHours(Date.parse('2026-07-01T06:00:00Z'), settings)).toBe(true);
    expect(withinBusinessHours(Date.parse('2026-07-01T16:00:00Z'), settings)).toBe(false);
  });

  it('flags an admin action at night and on Saturday, not on a weekday morning', () => {
    const fired = (iso: string) => afterHoursAdmin.evaluate({ event: action(iso), settings, state: noState }).length;
    expect(fired('2026-11-25T09:30:00Z')).toBe(0);
    expect(fired('2026-11-25T22:30:00Z')).toBe(1);
    expect(fired('2026-11-28T10:00:00Z')).toBe(1);
  });

  it('is off until an org sets it, and refuses an unknown time zone', () => {
    expect(afterHoursAdmin.settings.parse({}).enabled).toBe(false);
    expect(afterHoursAdmin.settings.safeParse({ timeZone: 'Mars/Olympus' }).success).toBe(false);
  });
});

describe('haversine', () => {
  it('puts Berlin and New York about 6,385 km apart', () => {
    expect(Math.round(haversineKm({ latitude: 52.52, longitude: 13.405 }, { latitude: 40.7128, longitude: -74.006 }))).toBe(6385);
  });
});
