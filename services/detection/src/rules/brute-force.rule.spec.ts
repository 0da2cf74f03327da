import { evaluateBruteForce, type RuleSettings } from './brute-force.rule';

const settings: RuleSettings = { enabled: true, threshold: 5, windowMs: 15 * 60_000 };
const t0 = new Date('2026-11-23T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

describe('evaluateBruteForce', () => {
  it('stays quiet below the threshold', () => {
    expect(evaluateBruteForce({ at: at(3), countInWindow: 4, settings })).toBe('below-threshold');
  });

  it('triggers at the threshold with no attack in progress', () => {
    expect(evaluateBruteForce({ at: at(4), countInWindow: 5, settings })).toBe('trigger');
  });

  it('folds later failures within the window of the last one into the same attack', () => {
    const state = { attackStartedAt: at(0), lastSeenAt: at(4) };
    expect(evaluateBruteForce({ at: at(18), countInWindow: 12, state, settings })).toBe('continue-attack');
  });

  it('treats a failure arriving late (out of order) inside the attack as the same attack', () => {
    const state = { attackStartedAt: at(0), lastSeenAt: at(40) };
    expect(evaluateBruteForce({ at: at(10), countInWindow: 9, state, settings })).toBe('continue-attack');
  });

  it('starts a new attack after a quiet window', () => {
    const state = { attackStartedAt: at(0), lastSeenAt: at(4) };
    expect(evaluateBruteForce({ at: at(30), countInWindow: 5, state, settings })).toBe('trigger');
    expect(evaluateBruteForce({ at: at(30), countInWindow: 1, state, settings })).toBe('below-threshold');
  });
});
