import { credentialExposedV1 } from '@vigil/contracts';
import { credentialExposedData } from './mapping';

describe('HIBP breach -> credential.exposed', () => {
  it('reads a classic service breach with passwords as a weak hash', () => {
    const data = credentialExposedData('alice@acme.test', {
      Name: 'Adobe',
      Title: 'Adobe',
      Domain: 'adobe.com',
      BreachDate: '2013-10-04',
      DataClasses: ['Email addresses', 'Password hints', 'Passwords', 'Usernames'],
    });
    expect(data).toEqual({
      account: 'alice@acme.test',
      breachSource: 'Adobe (adobe.com) via Have I Been Pwned',
      sourceType: 'service_breach',
      exposedDataTypes: ['email', 'password', 'username'],
      passwordForm: 'weak_hash',
      breachDate: '2013-10-04',
    });
    expect(credentialExposedV1.schema.safeParse(data).success).toBe(true);
  });

  it('reads a stealer log as plaintext from malware, and a breach without passwords as none', () => {
    const stealer = credentialExposedData('bob@acme.test', { Name: 'Telegram Combolists', IsStealerLog: true, DataClasses: ['Email addresses', 'Passwords', 'Spoken languages'] });
    expect(stealer).toMatchObject({ sourceType: 'stealer_malware', passwordForm: 'plaintext', exposedDataTypes: ['email', 'password', 'other'] });
    expect(stealer.breachDate).toBeUndefined();
    const list = credentialExposedData('carol@acme.test', { Name: 'SpamList', BreachDate: 'unknown', DataClasses: ['Email addresses', 'Phone numbers', 'Dates of birth'] });
    expect(list).toMatchObject({ passwordForm: 'none', exposedDataTypes: ['email', 'phone', 'date_of_birth'] });
    for (const d of [stealer, list]) expect(credentialExposedV1.schema.safeParse(d).success).toBe(true);
  });
});
