/**
 * Temporary folders for tests: made under the system's temp folder and removed when the test file
 * that made them ends, whatever its tests did (each file runs in its own module graph, so each gets
 * its own list and its own hook).
 */
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A fresh temporary folder, removed after the test file (`prefix`: how its name starts). */
export function tempDir(prefix = 'anvil-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Remove every folder {@link tempDir} made so far (run after each test file). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

// NOTE: registered while the test file that imports this module is collected: a hook of that file,
// run once its tests are over (after the file's own afterAll hooks, which may still use the folders).
afterAll(removeTempDirs);
