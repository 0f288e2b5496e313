/** Every sub-command, in the order `--help` lists them. */
import type { Command } from 'commander';
import { register as schema } from './schema.js';
import { register as init } from './init.js';
import { register as plan } from './plan.js';
import { register as render } from './render.js';
import { register as runbook } from './runbook.js';
import { register as lab } from './lab.js';
import { register as install } from './install.js';
import { register as resume } from './resume.js';
import { register as status } from './status.js';
import { register as check } from './check.js';

/** Attach every sub-command to the program. */
export function registerAll(program: Command): void {
  for (const r of [init, schema, plan, install, resume, status, check, render, runbook, lab]) r(program);
}
