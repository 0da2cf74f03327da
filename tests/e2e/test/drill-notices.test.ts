import { waitFor } from '@vigil/testing';
import { TestStack, type TestOrg } from '../src';

/**
 * Drills run the whole workflow, but their notices reach only the organisation's drill recipients,
 * marked DRILL; a real incident still alerts the admins and never the drill recipients.
 */
describe('drill notices', () => {
  let stack: TestStack;
  let acme: TestOrg;
  let globex: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'incident', 'notification'] });
    [acme, globex] = await Promise.all([stack.createOrg('Acme Drills', ['admin@acme-drills.test']), stack.createOrg('Globex Drills', ['admin@globex-drills.test'])]);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const create = (body: Record<string, unknown>) => stack.api('/v1/incidents', { key: acme.key, body: { title: 'Tabletop: laptop stolen', discoveredAt: new Date().toISOString(), ...body } });

  it('lets an admin name drill recipients, checked and per organisation', async () => {
    const reader = (await stack.api('/v1/api-keys', { key: acme.key, body: { name: 'viewer', scopes: ['incidents:read'] } })).body.secret;
    expect((await stack.api('/v1/drill-recipients', { key: reader, method: 'PUT', body: { recipients: ['x@acme-drills.test'] } })).status).toBe(403);
    const bad = await stack.api('/v1/drill-recipients', { key: acme.key, method: 'PUT', body: { recipients: ['not an address'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ pointer: '/recipients/0' })]);
    // notification learns of the org from org.created: until then the answer is 409, so wait for it.
    await waitFor(async () => (await stack.api('/v1/drill-recipients', { key: acme.key, method: 'PUT', body: { recipients: ['Drill@Acme-Drills.test'] } })).status === 200, {
      timeoutMs: 30_000,
      description: 'notification to know the org',
    });
    expect((await stack.api('/v1/drill-recipients', { key: reader })).body).toEqual({ recipients: ['drill@acme-drills.test'] });
    expect((await stack.api('/v1/drill-recipients', { key: globex.key })).body).toEqual({ recipients: [] });
  });

  it("sends a drill's alert to the drill recipients only, marked DRILL, and a real incident's to the admins only", async () => {
    const drill = await create({ drill: true });
    expect(drill.status).toBe(201);
    const [mail] = await stack.smtp.waitForMessages(1, (m) => m.subject.includes(drill.body.number), 30_000);
    expect(mail!.to).toEqual(['drill@acme-drills.test']);
    expect(mail!.subject).toMatch(/^\[DRILL\] \[Vigil\]/);
    expect(mail!.text).toMatch(/THIS IS A DRILL/);

    const real = await create({ title: 'Real: laptop stolen' });
    const [alert] = await stack.smtp.waitForMessages(1, (m) => m.subject.includes(real.body.number), 30_000);
    expect(alert!.to).toEqual(['admin@acme-drills.test']);
    expect(alert!.subject).not.toMatch(/DRILL/);
    await stack.settle();
    expect(stack.smtp.messages.filter((m) => m.subject.includes(drill.body.number))).toHaveLength(1);
    expect(stack.smtp.messages.filter((m) => m.to.includes('admin@acme-drills.test') && m.subject.includes('DRILL'))).toEqual([]);
  });
});
