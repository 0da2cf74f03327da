import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncidentCreatedV1 } from '@vigil/contracts';
import { formatUtc, toHeaderValue } from '../templates/engine';
import { AdminAlertTemplates, adminAlertModel } from './admin-alert';

const incident = (over: Partial<IncidentCreatedV1> = {}): IncidentCreatedV1 => ({
  incidentId: '0b8e6a3c-3f6c-4d8e-9d7e-3d2b1c0a9f8e',
  number: 'INC-20261123-0001',
  title: 'Brute-force attack from 203.0.113.7',
  description: '12 failed logins for 4 accounts from 203.0.113.7 within 5 minutes.',
  category: 'brute_force',
  severity: 'high',
  status: 'investigating',
  correlationKey: 'brute_force.ip:203.0.113.7',
  detectedAt: '2026-11-23T14:05:09.123Z',
  createdAt: '2026-11-23T14:05:10.000Z',
  origin: { ruleId: 'brute_force.ip', ip: '203.0.113.7', eventCount: 12 },
  ...over,
});

describe('admin alert templates', () => {
  const templates = AdminAlertTemplates.load();

  it('renders subject, text and html with the incident facts', () => {
    const r = templates.render(adminAlertModel(incident(), 'Acme', 'https://vigil.example.com/console'));
    expect(r.subject).toBe('[Vigil] HIGH incident INC-20261123-0001: Brute-force attack from 203.0.113.7');
    for (const body of [r.text, r.html]) {
      expect(body).toContain('INC-20261123-0001');
      expect(body).toContain('HIGH');
      expect(body).toContain('investigating');
      expect(body).toContain('2026-11-23 14:05 UTC');
      expect(body).toContain('Source IP');
      expect(body).toContain('12 failed logins for 4 accounts');
      expect(body).toContain('https://vigil.example.com/console/incidents/INC-20261123-0001');
    }
  });

  it('recommends the immediate brute-force actions', () => {
    const r = templates.render(adminAlertModel(incident(), 'Acme'));
    expect(r.text).toMatch(/1\. Block 203\.0\.113\.7 at the edge/);
    expect(r.text).toMatch(/2\. Check whether any targeted account later logged in successfully/);
    expect(r.text).toMatch(/3\. Force a password reset and enable two-factor authentication/);
    expect(r.text).toMatch(/4\. Keep incident INC-20261123-0001 updated in Vigil/);
    expect(r.html.match(/<li[ >]/g)).toHaveLength(4);
    expect(r.html).toContain('Block 203.0.113.7 at the edge');
  });

  it('escapes a hostile title and description in HTML', () => {
    const r = templates.render(
      adminAlertModel(incident({ title: '<script>alert(1)</script>', description: '<img src=x onerror="steal()">' }), '<b>Org</b>'),
    );
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toContain('<img');
    expect(r.html).not.toContain('<b>Org</b>');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.html).toContain('&lt;img src&#x3D;x onerror&#x3D;&quot;steal()&quot;&gt;');
    // Plain text is not HTML: no entities there.
    expect(r.text).toContain('<script>alert(1)</script>');
  });

  it('strips CR/LF from the subject (no header injection)', () => {
    const r = templates.render(adminAlertModel(incident({ title: 'Hi\r\nBcc: victim@example.com\r\n\r\nbody' }), 'Acme'));
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(r.subject).toBe('[Vigil] HIGH incident INC-20261123-0001: Hi Bcc: victim@example.com body');
  });

  it('leaves out the source IP when there is none and falls back to generic actions', () => {
    const r = templates.render(adminAlertModel(incident({ category: 'data_exposure', origin: {} }), 'Acme'));
    expect(r.text).not.toContain('Source IP');
    expect(r.html).not.toContain('Source IP');
    expect(r.text).toMatch(/1\. Confirm the scope/);
    expect(r.text).toMatch(/4\. Keep incident INC-20261123-0001 updated in Vigil/);
    expect(r.text).not.toContain('Open the incident in Vigil');
  });

  it('renders identically every time (a retry sends the same bytes)', () => {
    const m = adminAlertModel(incident(), 'Acme');
    expect(templates.render(m)).toEqual(templates.render(m));
  });

  it('fails at load time on a template syntax error, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tpl-'));
    mkdirSync(join(dir, 'admin-alert'));
    writeFileSync(join(dir, 'admin-alert', 'subject.hbs'), '{{#if x}}unclosed');
    expect(() => AdminAlertTemplates.load(dir)).toThrow();
    expect(() => AdminAlertTemplates.load(join(dir, 'missing'))).toThrow(/admin-alert\/subject\.hbs not found/);
  });
});

describe('template helpers', () => {
  it('formats ISO instants as YYYY-MM-DD HH:mm UTC', () => {
    expect(formatUtc('2026-11-23T23:30:00-05:00')).toBe('2026-11-24 04:30 UTC');
    expect(formatUtc('not a date')).toBe('not a date');
  });

  it('flattens header values', () => {
    expect(toHeaderValue('a\r\nb\u2028c\u0007d')).toBe('a b cd');
  });
});
