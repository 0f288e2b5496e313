/**
 * Every step of AN!Cluster Tutorial 2, in the tutorial's order. Execution, `plan`, `render` and the
 * runbook all walk this list.
 */
import type { Step } from '../src/engine/types.js';
import { preflight } from './preflight.js';
import { nics } from './nics.js';
import { security } from './security.js';
import { netDaemons } from './net-daemons.js';
import { network } from './network.js';
import { hosts } from './hosts.js';
import { sshKeys } from './ssh-keys.js';
import { packages } from './packages.js';
import { clusterFoundation } from './cluster-foundation.js';
import { fenceTests } from './fence-tests.js';
import { netTests } from './net-tests.js';
import { drbdInstall } from './drbd-install.js';
import { drbdPartitions } from './drbd-partitions.js';
import { drbdConfig } from './drbd-config.js';
import { clvm } from './clvm.js';
import { gfs2 } from './gfs2.js';
import { storageServices } from './storage-services.js';
import { vmProvision } from './vm-provision.js';
import { vmServices } from './vm-services.js';
import { acceptance } from './acceptance.js';

/** The whole install, in order. */
export const STEPS: readonly Step[] = [
  preflight,
  nics,
  security,
  netDaemons,
  network,
  hosts,
  sshKeys,
  packages,
  clusterFoundation,
  fenceTests,
  netTests,
  drbdInstall,
  drbdPartitions,
  drbdConfig,
  clvm,
  gfs2,
  storageServices,
  vmProvision,
  vmServices,
  acceptance,
];

/** A step by id; throws with the list of ids when unknown. */
export function stepById(id: string): Step {
  const s = STEPS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown step "${id}"; steps are: ${STEPS.map((x) => x.id).join(', ')}`);
  return s;
}
