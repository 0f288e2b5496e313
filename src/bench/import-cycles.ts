/**
 * Import cycles among the project's own modules (src/ and steps/): the strongly connected components
 * of the graph of runtime imports (`import type` and `export type` are erased by the compiler and do
 * not count). Prints each cycle's modules; exits 1 when there is one.
 *
 * Usage: node dist/src/bench/import-cycles.js [ROOT]  (runtime imports, then with type-only imports)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** A module and the project modules it imports at run time. */
export type ImportGraph = Map<string, string[]>;

const IMPORT_RE = /^\s*(?:import|export)\s+(type\b)?(?:[^;'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * The import graph of every .ts file under `dirs` (paths relative to `root`): runtime imports only, or
 * with `withTypes` type-only imports too (a reader follows those as well).
 */
export function importGraph(root: string, dirs: string[], withTypes = false): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const d of dirs)
    for (const file of tsFiles(join(root, d))) {
      const src = readFileSync(file, 'utf8');
      const deps: string[] = [];
      for (const m of src.matchAll(IMPORT_RE)) {
        // NOTE: `import { type A, type B } from` is erased too when every name is a type.
        const clause = m[0];
        const names = /\{([^}]*)\}/.exec(clause)?.[1];
        const typeOnly =
          m[1] !== undefined ||
          (names !== undefined &&
            !/^\s*import\s+\w/.test(clause) &&
            names.split(',').every((n) => /^\s*(type\s|$)/.test(n)));
        if (typeOnly && !withTypes) continue;
        const target = resolve(dirname(file), m[2].replace(/\.js$/, '.ts'));
        deps.push(relative(root, target));
      }
      graph.set(relative(root, file), deps);
    }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
export function cycles(graph: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\/dist\//, 'dist/'))) {
  const args = process.argv.slice(2);
  const root = resolve(args.find((a) => !a.startsWith('-')) ?? '.');
  let total = 0;
  for (const withTypes of [false, true]) {
    const found = cycles(importGraph(root, ['src', 'steps'], withTypes));
    const what = withTypes ? 'with type-only imports' : 'runtime imports';
    for (const c of found) console.log(`${what}: cycle of ${c.length}: ${c.join(' ')}`);
    console.log(`${found.length} import cycle(s) among src/ and steps/ (${what})`);
    total += found.length;
  }
  process.exitCode = total ? 1 : 0;
}
