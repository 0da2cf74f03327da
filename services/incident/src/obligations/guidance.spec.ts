import type { ObligationViewV1 } from '@vigil/contracts';
import { recommend, type GuidanceFacts } from './guidance';

const base: GuidanceFacts = { drill: false, dataCategories: ['email'], affected: 40, encryption: 'none', activeThreat: false, exfiltrated: false, ruleId: null, sourceType: null };
const obligation = (audience: ObligationViewV1['audience'], applies = true) =>
  ({ ruleId: `r.${audience}`, regimeId: 'eu-gdpr', regimeName: 'EU GDPR', audience, applies, citation: { reference: audience === 'authority' ? 'GDPR Art. 33' : 'GDPR Art. 34' } }) as ObligationViewV1;

describe('recommend', () => {
  it('asks for the widest notice an applicable obligation requires', () => {
    expect(recommend(base, [obligation('authority'), obligation('individuals')]).action).toBe('notify_people');
    expect(recommend(base, [obligation('authority'), obligation('individuals', false)]).action).toBe('notify_authority');
    expect(recommend(base, [obligation('authority', false)]).action).toBe('record_only');
  });

  it('names the rules behind it and the risk factors found', () => {
    const r = recommend({ ...base, dataCategories: ['credentials', 'health'], affected: 5000, encryption: 'encrypted_key_compromised', exfiltrated: true }, [obligation('authority'), obligation('individuals')]);
    expect(r.rationale).toEqual(
      expect.arrayContaining([
        'the people must be told under EU GDPR (GDPR Art. 34)',
        'the authority must be told under EU GDPR (GDPR Art. 33)',
        'special-category data exposed: health',
        'credentials exposed',
        '5000 people affected',
        'the data was encrypted but the key was compromised too: treat as unencrypted',
        'the data left the organisation',
      ]),
    );
  });

  it('gives remediation steps for the data, the state and the source', () => {
    const steps = recommend({ ...base, dataCategories: ['payment_card'], activeThreat: true, ruleId: 'credential_exposure.account', sourceType: 'stealer_malware' }, []).remediation.join('\n');
    expect(steps).toMatch(/revoke the attacker's access/);
    expect(steps).toMatch(/Force a password reset/);
    expect(steps).toMatch(/device as compromised/);
    expect(steps).toMatch(/card acquirer/);
    expect(steps).not.toMatch(/Notify the people affected/);
    expect(recommend(base, [obligation('individuals')]).remediation.join('\n')).toMatch(/Notify the people affected/);
  });

  it('treats a drill as a drill whatever the obligations say', () => {
    expect(recommend({ ...base, drill: true }, [obligation('individuals')])).toMatchObject({ action: 'record_only', rationale: [expect.stringMatching(/drill/)] });
  });
});
