/**
 * Shell quoting. Every value that comes from the answers goes through `q()` before it is put into a
 * command, so no answer can inject a command. Plain words stay unquoted so the plan and the runbook
 * read like the tutorial.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one argument for a POSIX shell (single quotes; `'` becomes `'\''`). */
export function q(value: string | number): string {
  const s = String(value);
  if (s !== '' && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Tagged template: interpolated values are quoted with `q()`. */
export function sh(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((acc, s, i) => acc + s + (i < values.length ? q(values[i]) : ''), '');
}
