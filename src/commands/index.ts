/**
 * Every sub-command, in the order `--help` lists them, each loaded only when needed: a run of one
 * command (`lab exec`, `plan`) loads that command's modules, not the whole tool (the installer, every
 * step and the lab cost ~0.2 s of CPU more per start, paid by every script and test that calls it).
 */
import type { Command } from 'commander';

/** A sub-command's name and how to load its `register`. */
interface CommandEntry {
  name: string;
  load(): Promise<(program: Command) => void>;
}

const COMMANDS: readonly CommandEntry[] = [
  { name: 'init', load: async () => (await import('./init.js')).register },
  { name: 'schema', load: async () => (await import('./schema.js')).register },
  { name: 'plan', load: async () => (await import('./plan.js')).register },
  { name: 'install', load: async () => (await import('./install.js')).register },
  { name: 'resume', load: async () => (await import('./resume.js')).register },
  { name: 'status', load: async () => (await import('./status.js')).register },
  { name: 'check', load: async () => (await import('./check.js')).register },
  { name: 'render', load: async () => (await import('./render.js')).register },
  { name: 'runbook', load: async () => (await import('./runbook.js')).register },
  { name: 'lab', load: async () => (await import('./lab.js')).register },
];

/**
 * Attach the sub-commands to the program: only `argv`'s command when its first word names one
 * (commander then sees exactly what it would with all of them), else every one (the program's
 * help, a mistyped name and its "did you mean", a global option alone).
 */
export async function registerCommands(program: Command, argv?: readonly string[]): Promise<void> {
  const word = argv?.slice(2).find((a) => !a.startsWith('-'));
  const one = COMMANDS.find((c) => c.name === word);
  for (const c of one ? [one] : COMMANDS) (await c.load())(program);
}
