/**
 * The command registry: implementation name → function. Program stub files in the node's filesystem
 * (`\x7fELF lab:<name>`) point here; other parts of the lab add commands with `registerCommand`.
 */
import type { CommandFn } from '../shell/types.js';
import { echo, printf, trueCmd, falseCmd } from './echo.js';
import { test } from './test.js';
import { FILE_COMMANDS } from './files.js';
import { TEXT_COMMANDS } from './text.js';
import { GREP_COMMANDS } from './grep.js';
import { SED_COMMANDS } from './sed.js';
import { AWK_COMMANDS } from './awk.js';
import { DIFF_COMMANDS } from './diff.js';
import { SYSTEM_COMMANDS } from './system.js';
import { HOSTS_COMMANDS } from './hosts.js';
import { NET_COMMANDS } from './net.js';
import { SERVICE_COMMANDS } from './services.js';
import { YUM_COMMANDS } from './yum.js';
import { VIRSH_COMMANDS } from './virsh.js';
import { POWER_COMMANDS } from './power.js';
import { SSH_COMMANDS } from './ssh.js';
import { KEYGEN_COMMANDS } from './ssh-keygen.js';
import { RSYNC_COMMANDS } from './rsync.js';
import { PS_COMMANDS } from './ps.js';
import { ETHTOOL_COMMANDS } from './ethtool.js';

/** Every simulated program, by implementation name. */
export const COMMANDS: Record<string, CommandFn> = {
  echo,
  printf,
  true: trueCmd,
  false: falseCmd,
  test,
  '[': test,
  pwd: (ctx) => {
    ctx.out(ctx.sh.cwd + '\n');
    return 0;
  },
  yes: (ctx) => {
    ctx.out(`${ctx.argv[1] ?? 'y'}\n`.repeat(1000));
    return 0;
  },
  ...FILE_COMMANDS,
  ...TEXT_COMMANDS,
  ...GREP_COMMANDS,
  ...SED_COMMANDS,
  ...AWK_COMMANDS,
  ...DIFF_COMMANDS,
  ...SYSTEM_COMMANDS,
  ...HOSTS_COMMANDS,
  ...NET_COMMANDS,
  ...SERVICE_COMMANDS,
  ...YUM_COMMANDS,
  ...VIRSH_COMMANDS,
  ...POWER_COMMANDS,
  ...SSH_COMMANDS,
  ...KEYGEN_COMMANDS,
  ...RSYNC_COMMANDS,
  ...PS_COMMANDS,
  ...ETHTOOL_COMMANDS,
};

/** Add (or replace) a command implementation; install a program file pointing at it via a package. */
export function registerCommand(name: string, fn: CommandFn): void {
  COMMANDS[name] = fn;
}
