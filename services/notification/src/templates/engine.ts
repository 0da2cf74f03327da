import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Handlebars from 'handlebars';

/**
 * Templates live in `<package>/templates`, outside src: this file runs from `src/templates` (tests)
 * or `dist/templates` (after tsc), both two levels below the package root, so the same path works in
 * a fresh clone without copying anything into dist.
 */
export const defaultTemplatesDir = resolve(__dirname, '..', '..', 'templates');

const severityColors: Record<string, string> = { low: '#3e7bfa', medium: '#d9822b', high: '#d64545', critical: '#8b1c1c' };

/** `2026-11-23T14:05:09.123Z` -> `2026-11-23 14:05 UTC`; anything unparseable is shown as given. */
export function formatUtc(value: unknown): string {
  const d = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value ?? '');
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * An isolated Handlebars environment: helpers registered here never leak into (or from) the global
 * instance another library might use.
 */
export function createTemplateEngine(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper('upper', (v: unknown) => String(v ?? '').toUpperCase());
  hbs.registerHelper('datetime', (v: unknown) => formatUtc(v));
  hbs.registerHelper('oneline', (v: unknown) => toHeaderValue(String(v ?? ''), 10_000));
  hbs.registerHelper('inc', (v: unknown) => Number(v) + 1);
  hbs.registerHelper('severityColor', (v: unknown) => severityColors[String(v)] ?? '#52606d');
  return hbs;
}

export type Render<M> = (model: M) => string;

export type TemplateFormat = 'subject' | 'text' | 'html';

/**
 * Compiles one template file. `html` escapes every `{{ }}` (HTML-escaping); `subject` and `text` are
 * plain text and must not get HTML entities. Strict mode: a field missing from the model throws
 * instead of rendering as an empty string.
 */
export function compileTemplate<M>(hbs: typeof Handlebars, dir: string, name: string, format: TemplateFormat): Render<M> {
  const path = join(dir, name, `${format}.hbs`);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`template ${name}/${format}.hbs not found in ${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const template = hbs.compile<M>(source, { strict: true, noEscape: format !== 'html' });
  // Compile eagerly (Handlebars compiles lazily on first render): a syntax error fails start-up.
  hbs.precompile(source, { strict: true });
  return (model: M) => template(model);
}

/** A mail header value from rendered text: no CR/LF (header injection), no control characters. */
export function toHeaderValue(value: string, maxLength = 250): string {
  const flat = value
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}
