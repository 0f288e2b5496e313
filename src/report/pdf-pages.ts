/**
 * Where things landed in a PDF Chromium printed: the page (1-based) each named destination (an
 * `id` an internal link points at) is on, and the page count. Reads the uncompressed object
 * dictionaries Chromium (Skia) writes: the page tree (`/Kids`) and the `/Dests` dictionary.
 */

/** The text of object `n 0 obj … endobj` in the file, by object number. */
function objects(pdf: string): Map<number, string> {
  const out = new Map<number, string>();
  const re = /(?:^|[\r\n])(\d+) 0 obj\b([\s\S]*?)endobj/g;
  for (let m; (m = re.exec(pdf));) out.set(Number(m[1]), m[2]);
  return out;
}

function refs(text: string): number[] {
  return [...text.matchAll(/(\d+) 0 R/g)].map((m) => Number(m[1]));
}

/** Page object numbers in reading order, from the catalog's page tree. */
function pageOrder(objs: Map<number, string>, root: number): number[] {
  const out: number[] = [];
  const walk = (n: number, depth: number) => {
    const o = objs.get(n) ?? '';
    if (depth > 32) return;
    if (/\/Type\s*\/Pages\b/.test(o)) {
      const kids = /\/Kids\s*\[([^\]]*)\]/.exec(o);
      for (const k of refs(kids?.[1] ?? '')) walk(k, depth + 1);
    } else if (/\/Type\s*\/Page\b/.test(o)) out.push(n);
  };
  walk(root, 0);
  return out;
}

/** PDF name escapes (`#2D`) decoded. */
function pdfName(s: string): string {
  return s.replace(/#([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Page number of every named destination, and the number of pages. */
export function destinationPages(pdf: Buffer): { pages: number; dests: Record<string, number> } {
  const text = pdf.toString('latin1');
  const objs = objects(text);
  let catalog = '';
  for (const o of objs.values()) if (/\/Type\s*\/Catalog\b/.test(o)) catalog = o;
  const root = /\/Pages\s+(\d+) 0 R/.exec(catalog);
  const order = root ? pageOrder(objs, Number(root[1])) : [];
  const index = new Map(order.map((n, i) => [n, i + 1]));
  const dests: Record<string, number> = {};
  const d = /\/Dests\s+(\d+) 0 R/.exec(catalog);
  const dict = d ? (objs.get(Number(d[1])) ?? '') : (/\/Dests\s*<<([\s\S]*?)>>/.exec(catalog)?.[1] ?? '');
  for (const m of dict.matchAll(/\/([^\s/[\]<>()]+)\s*\[\s*(\d+) 0 R/g)) {
    const page = index.get(Number(m[2]));
    if (page) dests[pdfName(m[1])] = page;
  }
  return { pages: order.length, dests };
}
