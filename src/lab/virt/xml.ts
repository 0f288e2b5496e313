/**
 * A small XML reader for the domain definitions virsh reads (`virsh define FILE`, `virsh create
 * FILE`): elements, attributes, text, comments and the XML declaration. Enough for libvirt's own
 * output and for hand-edited files; not a validating parser.
 */

/** One element. */
export interface XmlEl {
  name: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  /** Concatenated text directly inside the element (entities decoded, not trimmed). */
  text: string;
}

/** A syntax error with the position libvirt's messages report (line and column, 1-based). */
export class XmlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

/** Escape text or an attribute value as libvirt writes it. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

/** Parse a document; returns its root element. Throws `XmlError` on malformed input. */
export function parseXml(text: string): XmlEl {
  let i = 0;
  const lineAt = (p: number) => text.slice(0, p).split('\n').length;
  const fail = (msg: string): never => {
    throw new XmlError(msg, lineAt(i));
  };
  const stack: XmlEl[] = [];
  let root: XmlEl | undefined;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      if (text.slice(i).trim() && !stack.length) fail('Extra content at the end of the document');
      if (stack.length) stack[stack.length - 1].text += decode(text.slice(i));
      break;
    }
    if (lt > i) {
      const t = text.slice(i, lt);
      if (stack.length) stack[stack.length - 1].text += decode(t);
      else if (t.trim()) fail(root ? 'Extra content at the end of the document' : "Start tag expected, '<' not found");
    }
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail('Comment not terminated');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) fail('XML declaration not terminated');
      i = end + 2;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0) fail('CData section not terminated');
      if (stack.length) stack[stack.length - 1].text += text.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (text.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i));
      if (!m) fail("expected '>'");
      const open = stack.pop();
      if (!open || open.name !== m![1]) fail(`Opening and ending tag mismatch: ${open?.name ?? ''} and ${m![1]}`);
      i += m![0].length;
      continue;
    }
    const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>/.exec(text.slice(i));
    if (!m) fail("Couldn't find end of Start Tag");
    if (root && !stack.length) fail('Extra content at the end of the document');
    const attrs: Record<string, string> = {};
    for (const a of m![2].matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:'([^']*)'|"([^"]*)")/g))
      attrs[a[1]] = decode(a[2] ?? a[3] ?? '');
    const el: XmlEl = { name: m![1], attrs, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root = el;
    if (!m![3]) stack.push(el);
    i += m![0].length;
  }
  if (stack.length) fail('Premature end of data in tag ' + stack[stack.length - 1].name);
  if (!root) fail('Document is empty');
  return root!;
}

/** First child element named `name`. */
export function child(el: XmlEl | undefined, name: string): XmlEl | undefined {
  return el?.children.find((c) => c.name === name);
}

/** Every child element named `name`. */
export function children(el: XmlEl | undefined, name: string): XmlEl[] {
  return el?.children.filter((c) => c.name === name) ?? [];
}

/** Trimmed text of the first child named `name`. */
export function childText(el: XmlEl | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c ? c.text.trim() : undefined;
}
