/**
 * A tiny JSON syntax tree for hostile input. Plain objects can't carry what the suite needs to send:
 * `__proto__` as a real member, the same member twice, numbers JSON.stringify can't write (1e400) and
 * nesting too deep to build recursively. Objects are member lists; `Raw` is text spliced in verbatim.
 */
export class Obj {
  constructor(readonly members: [string, J][]) {}

  get(key: string): J | undefined {
    return this.members.find(([k]) => k === key)?.[1];
  }

  /** Replaces the member (or appends it), keeping its position. */
  set(key: string, value: J): this {
    const i = this.members.findIndex(([k]) => k === key);
    if (i >= 0) this.members[i] = [key, value];
    else this.members.push([key, value]);
    return this;
  }

  delete(key: string): this {
    const i = this.members.findIndex(([k]) => k === key);
    if (i >= 0) this.members.splice(i, 1);
    return this;
  }

  clone(): Obj {
    return new Obj(this.members.map(([k, v]) => [k, v instanceof Obj ? v.clone() : v]));
  }
}

export class Raw {
  constructor(readonly text: string) {}
}

export type J = null | boolean | number | string | J[] | Obj | Raw;

/** JSON text; strings go through JSON.stringify, which writes lone surrogates as `\udXXX` escapes. */
export function toJson(value: J): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) return `{${value.members.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  return JSON.stringify(value);
}

/** `depth` levels of nesting around `inner`, built as text so no recursion is needed either way. */
export function nested(depth: number, shape: 'array' | 'object', inner = '1'): Raw {
  return shape === 'array' ? new Raw('['.repeat(depth) + inner + ']'.repeat(depth)) : new Raw('{"a":'.repeat(depth) + inner + '}'.repeat(depth));
}
