/**
 * Write the final form of every file the install leaves on each node into a local folder:
 * `DIR/<node name>/<absolute path>`. This is the real content (secrets in clear, as on the node),
 * so files that hold passwords are written 0600 and the caller warns that DIR holds them.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Step } from '../engine/types.js';
import { finalFiles } from '../engine/walk.js';
import { AnvilError } from '../errors.js';
import { ensureDir } from '../util/ensure-dir.js';
import type { Plan } from '../plan/derive.js';

/** One file written by `renderTree`. */
export interface RenderedTreeFile {
  node: string;
  /** Path on the node. */
  path: string;
  /** Path written locally. */
  local: string;
  mode: number;
  secret: boolean;
  /** An edit of the node's own file: rendered as applied to the stock file of a fresh install. */
  edit: boolean;
}

/** Refuse to write into a non-empty folder unless forced; refuse a path that is a file. */
export function prepareOutDir(dir: string, force: boolean): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new AnvilError(`${dir} exists and is not a folder`, 'pass --out with a new or empty folder');
    if (readdirSync(dir).length && !force)
      throw new AnvilError(
        `${dir} is not empty`,
        'pass a new or empty folder, or --force to overwrite the files in it (other files are left alone)',
      );
  }
  ensureDir(dir, '--out');
}

/** Write every node's final files under `dir`; returns what was written, node by node. */
export function renderTree(p: Plan, steps: readonly Step[], dir: string): RenderedTreeFile[] {
  const out: RenderedTreeFile[] = [];
  const root = resolve(dir);
  for (const [node, files] of finalFiles(p, steps))
    for (const [path, f] of files) {
      // NOTE: paths come from step definitions; refuse anything that would escape the node's folder.
      const local = join(root, node, path);
      if (!path.startsWith('/') || !local.startsWith(join(root, node) + '/'))
        throw new Error(`task ${f.task}: file path ${path} is not an absolute path inside the node`);
      const secret = !!f.spec.secret;
      const mode = secret ? 0o600 : (f.spec.mode ?? 0o644);
      mkdirSync(dirname(local), { recursive: true });
      writeFileSync(local, f.content, { mode });
      // NOTE: the mode given to writeFileSync is masked by the umask and ignored for an existing file.
      chmodSync(local, mode);
      out.push({ node, path, local, mode, secret, edit: !!f.spec.edit });
    }
  return out;
}
