/**
 * Names kept whole on the printed page: a browser may break a line after any hyphen, which prints a
 * host name as `an-` / `node02`. Every hyphenated name in the runbook's text (host and VM names, LVs,
 * packages, dates) is wrapped in a span that does not break; file contents and command blocks
 * (`<pre>`, file tables) are left as they are.
 */

// NOTE: a name with at least one inner hyphen, and any dotted suffix (an-node01.alteeve.ca); long
// tokens (URLs, paths) stay breakable, or a table could not fit the page: a name inside a path is
// not one.
const NAME = /(?<![\w/.-])[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)+(?:\.[A-Za-z0-9_-]+)*(?![\w/-])/g;
const MAX_WHOLE = 40;

/** Where names are left alone: preformatted text, styles, scripts and file tables. */
const VERBATIM = /^<(pre|style|script|table class="file)\b/i;

/**
 * One name kept whole: each dotted label that holds a hyphen in a span that does not break, a line
 * break allowed only before a dot (`an-node01` / `.alteeve.ca`, never `an-` / `node01`).
 */
function whole(name: string): string {
  if (name.length > MAX_WHOLE) return name;
  return name
    .split('.')
    .map((label) => (label.includes('-') ? `<span class="nb">${label}</span>` : label))
    .join('<wbr>.');
}

/** `html` with each hyphenated name of its text in a `<span class="nb">` (white-space: nowrap). */
export function keepNamesWhole(html: string): string {
  const parts = html.split(/(<[^>]*>)/);
  let verbatim: string | undefined;
  let depth = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith('<')) {
      const tag = /^<\/?([a-z0-9]+)/i.exec(p)?.[1]?.toLowerCase();
      if (!verbatim) {
        const m = VERBATIM.exec(p);
        if (m) {
          verbatim = m[1].toLowerCase().startsWith('table') ? 'table' : m[1].toLowerCase();
          depth = 1;
        }
      } else if (tag === verbatim) depth += p.startsWith('</') ? -1 : p.endsWith('/>') ? 0 : 1;
      if (verbatim && depth === 0) verbatim = undefined;
      continue;
    }
    if (verbatim || !p.includes('-')) continue;
    parts[i] = p.replace(NAME, whole);
  }
  return parts.join('');
}
