/**
 * `../shared` beside the checkout (the spec and the real validators). CI provides it next to its
 * clone; a test that needs a file from it skips with a printed reason when it is absent.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './cli-process.js';

/** The shared folder beside the repository. */
export const SHARED = resolve(ROOT, '..', 'shared');

/** A path under `../shared`, and whether it exists. */
export function sharedFile(...parts: string[]): { path: string; present: boolean } {
  const path = join(SHARED, ...parts);
  return { path, present: existsSync(path) };
}
