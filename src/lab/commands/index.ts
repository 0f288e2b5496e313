/**
 * The base system of a lab node as a subsystem (`base`): the generic programs (files, text filters,
 * network, ssh, yum...) by implementation name, with the base catalogues of init scripts and packages.
 * Program stub files in the node's filesystem (`\x7fELF lab:<name>`) name these implementations.
 */
import type { CommandFn } from '../node/command.js';
import type { LabSubsystem } from '../world/world.js';
import { SERVICES } from '../node/services.js';
import { PACKAGES } from '../node/packages.js';
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

/** The base system's programs, by implementation name. */
export const COMMANDS: Readonly<Record<string, CommandFn>> = {
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

/** The base system: its programs, init scripts and packages. */
export const base: LabSubsystem = {
  name: 'base',
  programs: COMMANDS,
  services: Object.values(SERVICES),
  packages: Object.values(PACKAGES),
};
