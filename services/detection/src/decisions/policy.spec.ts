import type { DetectionTriggeredV1 } from '@vigil/contracts';
import { actionsFor, DEFAULT_DECISION_POLICY, durationSeconds, effectivePolicy, targetOf } from './policy';

const HOUR = 3600;

function detection(over: Partial<DetectionTriggeredV1>): Pick<DetectionTriggeredV1, 'ruleId' | 'severity' | 'correlationKey' | 'evidence'> {
  return { ruleId: 'brute_force.ip', severity: 'medium', correlationKey: 'brute_force.ip:203.0.113.7', evidence: { eventIds: [] }, ...over };
}

describe('decision policy', () => {
  it('doubles the duration for each earlier offence and stops at the cap', () => {
    const a = { baseSeconds: HOUR, maxSeconds: 7 * 24 * HOUR };
    expect([0, 1, 2, 3, 7, 8, 9, 1000].map((n) => durationSeconds(a, n) / HOUR)).toEqual([1, 2, 4, 8, 128, 168, 168, 168]);
  });

  it('acts by rule id and only from the action’s minimum severity', () => {
    const policy = effectivePolicy(undefined);
    expect(actionsFor(policy, detection({})).map((a) => a.kind)).toEqual(['block_ip']);
    // Plaintext or a stealer log is critical in the engine's matrix; a weak hash (high) does not force a reset.
    expect(actionsFor(policy, detection({ ruleId: 'credential_exposure.account', severity: 'high' }))).toEqual([]);
    expect(actionsFor(policy, detection({ ruleId: 'credential_exposure.account', severity: 'critical' })).map((a) => a.kind)).toEqual(['force_password_reset']);
    expect(actionsFor(policy, detection({ ruleId: 'account_takeover.success_after_failures', severity: 'high' })).map((a) => a.kind)).toEqual(['lock_account', 'force_password_reset']);
    expect(actionsFor(policy, detection({ ruleId: 'after_hours.admin' }))).toEqual([]);
  });

  it('lets an org override one rule and keeps the defaults of the others', () => {
    const policy = effectivePolicy({ rules: { 'brute_force.ip': [], 'data.bulk_export': [{ kind: 'lock_account', baseSeconds: 600, maxSeconds: 600, minSeverity: 'low' }] } });
    expect(actionsFor(policy, detection({}))).toEqual([]);
    expect(actionsFor(policy, detection({ ruleId: 'data.bulk_export' })).map((a) => a.kind)).toEqual(['lock_account']);
    expect(policy.rules['brute_force.account']).toEqual(DEFAULT_DECISION_POLICY.rules['brute_force.account']);
  });

  it('takes the target from the evidence, else from the correlation key', () => {
    expect(targetOf('block_ip', detection({ correlationKey: 'x:1', evidence: { ip: '198.51.100.4', eventIds: [] } }))).toBe('198.51.100.4');
    expect(targetOf('block_ip', detection({ correlationKey: 'brute_force.ip:2001:db8::bad' }))).toBe('2001:db8::bad');
    expect(targetOf('block_ip', detection({ correlationKey: 'brute_force.account:alice@acme.test' }))).toBeUndefined();
    expect(targetOf('lock_account', detection({ correlationKey: 'brute_force.account:alice@acme.test' }))).toBe('alice@acme.test');
    expect(targetOf('lock_account', detection({ correlationKey: 'account_takeover.success_after_failures:203.0.113.7', evidence: { usernames: ['bob'], eventIds: [] } }))).toBe('bob');
    // Two accounts behind one IP: locking either would be a guess.
    expect(targetOf('lock_account', detection({ correlationKey: 'account_takeover.success_after_failures:203.0.113.7', evidence: { usernames: ['bob', 'carol'], eventIds: [] } }))).toBeUndefined();
    // The engine's optional fields name the person at risk outright.
    const hinted = { correlationKey: 'account_takeover.success_after_failures:203.0.113.7', evidence: { eventIds: [], account: 'dave@acme.test' }, affectedPerson: { account: 'Dave@acme.test' } };
    expect(targetOf('force_password_reset', hinted as never)).toBe('Dave@acme.test');
    expect(targetOf('lock_account', { ...hinted, affectedPerson: undefined } as never)).toBe('dave@acme.test');
  });
});
