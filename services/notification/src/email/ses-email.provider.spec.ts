import { buildRawMime } from './ses-email.provider';

describe('SES raw MIME', () => {
  it('keeps our Message-ID, headers and both alternatives', async () => {
    const raw = (
      await buildRawMime({
        from: 'Vigil <alerts@vigil.local>',
        to: 'admin@acme.test',
        subject: '[Vigil] HIGH incident INC-20261123-0001: x',
        text: 'plain body',
        html: '<p>html body</p>',
        messageId: '<3f0c2d1e-0000-4000-8000-000000000001@vigil>',
        headers: { 'X-Vigil-Delivery-Id': '3f0c2d1e-0000-4000-8000-000000000001' },
      })
    ).toString('utf8');
    expect(raw).toMatch(/^Message-ID: <3f0c2d1e-0000-4000-8000-000000000001@vigil>\r$/m);
    expect(raw).toMatch(/^X-Vigil-Delivery-I[Dd]: 3f0c2d1e-0000-4000-8000-000000000001\r$/m);
    expect(raw).toMatch(/^Subject: \[Vigil\] HIGH incident INC-20261123-0001: x\r$/m);
    expect(raw).toMatch(/^To: admin@acme\.test\r$/m);
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw).toContain('plain body');
    expect(raw).toContain('<p>html body</p>');
  });
});
