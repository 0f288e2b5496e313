/** `anvil-install runbook` (being written; see the issue tracker). */
import type { Command } from 'commander';

/** Register the command. */
export function register(_program: Command): void {}
