/**
 * Broken promises, grouped by what broke. The suite keeps going after the first one so a single run
 * shows every class of defect, then fails listing each class with a few examples and the seed.
 */
export class Violations {
  private readonly byClass = new Map<string, string[]>();

  constructor(private readonly seed: number) {}

  add(cls: string, example: string): void {
    const list = this.byClass.get(cls) ?? [];
    list.push(example.length > 600 ? `${example.slice(0, 600)}…` : example);
    this.byClass.set(cls, list);
  }

  get count(): number {
    return [...this.byClass.values()].reduce((n, l) => n + l.length, 0);
  }

  /** Empty when nothing broke; otherwise a report to fail with. */
  report(): string {
    if (!this.byClass.size) return '';
    const lines = [`${this.count} broken promises (reproduce with VIGIL_FC_SEED=${this.seed}):`];
    for (const [cls, examples] of this.byClass) {
      lines.push(`- ${cls}: ${examples.length}×`);
      for (const e of examples.slice(0, 3)) lines.push(`    e.g. ${e}`);
    }
    return lines.join('\n');
  }

  clear(): void {
    this.byClass.clear();
  }
}

/** A short, printable excerpt of hostile text for a report line. */
export function excerpt(text: string | Uint8Array, max = 160): string {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  const shown = JSON.stringify(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `${shown}… (${s.length} chars)` : shown;
}
