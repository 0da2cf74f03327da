import type { DetectionRule, KeyKind } from './rule';
import { observable } from './observed';

/** One IP or account of one org: its state holds every observed event type with that IP/account. */
export interface KeyRef {
  orgId: string;
  kind: KeyKind;
  value: string;
}

export const keyId = (k: KeyRef) => `${k.orgId}\u0000${k.kind}\u0000${k.value}`;

/** The rules by event type, and which (type, key kind) series the engine must keep for them. */
export class RuleRegistry {
  private readonly byType = new Map<string, DetectionRule[]>();
  /** Per observed type, the key kinds some rule counts or reads. */
  private readonly kinds = new Map<string, Set<KeyKind>>();
  private readonly byId: Map<string, DetectionRule>;

  constructor(readonly rules: readonly DetectionRule[]) {
    this.byId = new Map(rules.map((r) => [r.id, r]));
    if (this.byId.size !== rules.length) throw new Error('duplicate rule id');
    const need = (type: string, kind: KeyKind) => {
      if (!observable(type)) throw new Error(`no observer for event type ${type}`);
      const set = this.kinds.get(type) ?? new Set<KeyKind>();
      set.add(kind);
      this.kinds.set(type, set);
    };
    for (const rule of rules) {
      for (const type of rule.eventTypes) this.byType.set(type, [...(this.byType.get(type) ?? []), rule]);
      if (rule.kind === 'window') for (const type of rule.eventTypes) need(type, rule.keyKind);
      else if (rule.kind === 'org') {
        // Its window is rebuilt from observed_events: the events must be kept (under their account).
        if (rule.eventTypes.length !== 1) throw new Error(`org rule ${rule.id} must read exactly one event type`);
        need(rule.eventTypes[0]!, 'account');
      } else for (const r of rule.reads ?? []) need(r.type, r.kind);
    }
  }

  get(id: string): DetectionRule | undefined {
    return this.byId.get(id);
  }

  rulesFor(type: string): readonly DetectionRule[] {
    return this.byType.get(type) ?? [];
  }

  /** Key kinds an event of this type is kept under (empty: not kept). */
  keptKinds(type: string): ReadonlySet<KeyKind> {
    return this.kinds.get(type) ?? new Set();
  }

  /** Every event type the engine consumes. */
  get eventTypes(): string[] {
    return [...this.byType.keys()];
  }
}
