/**
 * Render a task's files from their ejs templates. The same function feeds execution (real secrets,
 * on the node), `render` (real secrets, local folder) and plan/runbook (secrets masked).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import type { FileSpec } from './types.js';
import type { Plan, PlanNode } from '../plan/derive.js';
import { TEMPLATES } from '../paths.js';
import { q } from './shell.js';

/** Escape a value for an XML attribute or text node. */
export function x(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const cache = new Map<string, ejs.TemplateFunction>();

/** Compile (once) and render a template under `templates/` with the plan, the node and extra locals. */
export function renderTemplate(template: string, locals: Record<string, unknown>): string {
  let fn = cache.get(template);
  if (!fn) {
    const file = join(TEMPLATES, template);
    fn = ejs.compile(readFileSync(file, 'utf8'), { filename: file, escape: (s: unknown) => String(s) });
    cache.set(template, fn);
  }
  return fn(locals);
}

/** Render one FileSpec for a node. */
export function renderFile(spec: FileSpec, p: Plan, n: PlanNode): string {
  return renderTemplate(spec.template, { p, n, q, x, ...(spec.locals ?? {}) });
}
