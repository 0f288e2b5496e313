/** Locations of the package's own data folders, from the source tree or from `dist/`. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot locate the anvil-install package root (templates/ missing)');
}

/** The package root (holds package.json, templates/, runbook/). */
export const ROOT = findRoot();
/** ejs templates of every file the install writes. */
export const TEMPLATES = join(ROOT, 'templates');
/** Runbook document templates and stylesheet. */
export const RUNBOOK = join(ROOT, 'runbook');
