import {
  accessDeniedExample,
  accessDeniedV1,
  accountMfaDisabledExample,
  accountMfaDisabledV1,
  accountMfaEnabledExample,
  accountMfaEnabledV1,
  accountPasswordChangedExample,
  accountPasswordChangedV1,
  adminActionExample,
  adminActionV1,
  credentialExposedExample,
  credentialExposedV1,
  dataExportExample,
  dataExportV1,
  loginFailedExample,
  loginFailedV1,
  loginSucceededExample,
  loginSucceededV1,
  thirdPartySharedExample,
  thirdPartySharedV1,
} from '../index';
import { eventCatalog, isProducerType, producerEventDefinitions } from '../catalog';
import { streams } from '../streams';
import { eventSubject } from '../subjects';
import { MAX_EVENT_BYTES } from '../storable';
import { parseData, parseProducerEvent } from '../validation';
import type { EventDefinition } from '../registry';

const examples: [EventDefinition, unknown][] = [
  [loginFailedV1, loginFailedExample],
  [loginSucceededV1, loginSucceededExample],
  [adminActionV1, adminActionExample],
  [dataExportV1, dataExportExample],
  [accessDeniedV1, accessDeniedExample],
  [thirdPartySharedV1, thirdPartySharedExample],
  [credentialExposedV1, credentialExposedExample],
  [accountPasswordChangedV1, accountPasswordChangedExample],
  [accountMfaEnabledV1, accountMfaEnabledExample],
  [accountMfaDisabledV1, accountMfaDisabledExample],
];

const envelope = (type: string, data: unknown) => ({ specversion: '1.0', id: 'evt-1', source: 'https://app.acme.test', type, data });

/** Matches `subject` against a NATS subject filter (`*` one token, `>` the rest). */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

describe('event catalog v1', () => {
  it.each(examples.map(([d, e]) => [d.type, d, e] as const))('%s: the example passes its schema and the whole producer check', (_type, def, example) => {
    expect(parseData(def, example)).toEqual({ ok: true, value: example });
    expect(parseProducerEvent(envelope(def.type, example))).toMatchObject({ ok: true });
  });

  it('covers every producer type with an example, and every producer type is a catalogued contract', () => {
    expect(new Set(examples.map(([d]) => d.type))).toEqual(new Set(producerEventDefinitions.map((d) => d.type)));
    for (const d of producerEventDefinitions) expect(eventCatalog).toContain(d);
  });

  it("lands every producer type's subject in VIGIL_SECURITY, and in no other stream", () => {
    const org = '7c0e1b2a-0000-4000-8000-000000000001';
    for (const d of producerEventDefinitions) {
      const subject = eventSubject(d.type, org);
      const owners = Object.values(streams).filter((s) => s.subjects.some((f: string) => matches(f, subject)));
      expect({ type: d.type, owners: owners.map((s) => s.name) }).toEqual({ type: d.type, owners: ['VIGIL_SECURITY'] });
    }
  });

  it('accepts the new login.failed reason unknown_user and still the old invalid_username (additive change)', () => {
    expect(parseData(loginFailedV1, { ip: '192.0.2.1', reason: 'unknown_user' }).ok).toBe(true);
    expect(parseData(loginFailedV1, { ip: '192.0.2.1', reason: 'invalid_username' }).ok).toBe(true);
  });

  it.each([
    ['credential.exposed', { ...credentialExposedExample, sourceType: 'pastebin' }, '/data/sourceType'],
    ['credential.exposed', { ...credentialExposedExample, exposedDataTypes: ['email', 'dna'] }, '/data/exposedDataTypes/1'],
    ['credential.exposed', { ...credentialExposedExample, passwordForm: 'rot13' }, '/data/passwordForm'],
    ['thirdparty.shared', { ...thirdPartySharedExample, dataCategories: [] }, '/data/dataCategories'],
    ['thirdparty.shared', { ...thirdPartySharedExample, consentObtained: 'yes' }, '/data/consentObtained'],
    ['data.export', { ...dataExportExample, recordCount: -1 }, '/data/recordCount'],
    ['data.export', { ...dataExportExample, subjectIds: Array.from({ length: 1001 }, (_, i) => `s${i}`) }, '/data/subjectIds'],
    ['admin.action', { ...adminActionExample, ip: 'not-an-ip' }, '/data/ip'],
    ['admin.action', { ...adminActionExample, metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }, '/data/metadata'],
    ['admin.action', { ...adminActionExample, metadata: { nested: { no: 1 } } }, '/data/metadata/nested'],
    ['admin.action', { ...adminActionExample, surprise: 1 }, '/data'],
    ['access.denied', { ...accessDeniedExample, resource: 'x'.repeat(513) }, '/data/resource'],
    ['account.mfa_disabled', { method: 'totp' }, '/data/userId'],
    ['account.password_changed', { ...accountPasswordChangedExample, email: 'not-an-email' }, '/data/email'],
  ])('%s: rejects an invalid event with a pointer to the field (%#)', (type, data, pointer) => {
    const r = parseProducerEvent(envelope(type, data));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.pointer)).toContain(pointer);
  });

  it('bounds every new event: a maximal admin.action still fits the event size limit', () => {
    const s = (n: number) => 'x'.repeat(n);
    const maximal = {
      adminId: s(128),
      adminEmail: `${s(64)}@${s(63)}.test`,
      adminName: s(200),
      action: s(256),
      description: s(2000),
      target: { type: s(64), id: s(256) },
      status: 200,
      metadata: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`${i}`.padStart(64, 'k'), s(1024)])),
      ip: '2001:db8::1',
      userAgent: s(1024),
    };
    expect(parseData(adminActionV1, maximal).ok).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(envelope('admin.action', maximal)))).toBeLessThan(MAX_EVENT_BYTES);
  });

  it('keeps the producer-type check in step with the catalog', () => {
    expect(isProducerType('credential.exposed')).toBe(true);
    expect(isProducerType('org.created')).toBe(false);
  });
});
