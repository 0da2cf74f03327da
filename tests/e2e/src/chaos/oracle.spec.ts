import { attacksIn, referenceEvaluation } from './oracle';

const MIN = 60_000;
const W = 15 * MIN;
const params = { threshold: 5, windowMs: W };
const at = (...minutes: number[]) => minutes.map((m) => m * MIN);

describe('chaos reference evaluation (the oracle)', () => {
  it('needs five failures inside one window', () => {
    expect(attacksIn(at(0, 1, 2, 3), params)).toBe(0);
    expect(attacksIn(at(0, 1, 2, 3, 4), params)).toBe(1);
  });

  it('does not care about arrival order', () => {
    expect(attacksIn(at(4, 0, 3, 1, 2), params)).toBe(1);
  });

  it('uses a half-open window (x - W, x]: a failure exactly W earlier is outside', () => {
    expect(attacksIn(at(0, 15, 15, 15, 15), params)).toBe(0);
    expect(attacksIn([0, 1, 15 * MIN, 15 * MIN, 15 * MIN, 15 * MIN], params)).toBe(1);
  });

  it('a slow trickle never dense enough is no attack, however long it lasts', () => {
    expect(attacksIn(at(0, 4, 8, 12, 16, 20, 24, 28), params)).toBe(0);
  });

  it('failures within W of the previous one extend the attack; a quiet gap over W starts a new cluster', () => {
    // One burst, a trickle every 10 minutes (same cluster), a second burst: still one attack.
    expect(attacksIn([...at(0, 0, 0, 0, 0), ...at(10, 20, 30), ...at(40, 40, 40, 40, 40)], params)).toBe(1);
    // Two bursts 20 minutes apart: two attacks.
    expect(attacksIn([...at(0, 0, 0, 0, 0), ...at(20, 20, 20, 20, 20)], params)).toBe(2);
    // Exactly W apart is still the same cluster.
    expect(attacksIn([...at(0, 0, 0, 0, 0), ...at(15, 15, 15, 15, 15)], params)).toBe(1);
  });

  it('counts incidents per org as IPs with at least one attack', () => {
    const burst = (orgId: string, ip: string, startMin: number) => at(startMin, startMin, startMin, startMin, startMin).map((t) => ({ orgId, ip, at: t }));
    const expected = referenceEvaluation([
      ...burst('a', '198.51.100.1', 0),
      ...burst('a', '198.51.100.1', 30),
      ...burst('b', '198.51.100.1', 0),
      ...burst('b', '198.51.100.2', 0).slice(0, 4),
    ], params);
    expect(expected.totalAttacks).toBe(3);
    expect(expected.attacks.get('a|198.51.100.1')).toBe(2);
    expect(expected.totalIncidents).toBe(2);
    expect(expected.incidentsByOrg.get('a')).toBe(1);
    expect(expected.incidentsByOrg.get('b')).toBe(1);
  });
});
