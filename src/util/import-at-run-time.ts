/**
 * `import()` of a module named only at run time (a test's world module, ANVIL_LAB_WORLD_MODULE).
 *
 * Why not `import()` itself: the one-file CLI (src/build/bundle.ts) runs as a script compiled from
 * V8's code cache, and Node 20 loses a cached script's import() callback ("A dynamic import callback
 * was not specified"). Its launcher lends its own `import()` under {@link IMPORT_HOOK}.
 */

/** Where bin/anvil-install.js puts its `import()` before it runs the bundle. */
export const IMPORT_HOOK = Symbol.for('anvil-install.import');

/** Import `specifier` (a file URL or a package name). */
export function importAtRunTime<T>(specifier: string): Promise<T> {
  const lent = (globalThis as Record<symbol, unknown>)[IMPORT_HOOK] as ((s: string) => Promise<unknown>) | undefined;
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
