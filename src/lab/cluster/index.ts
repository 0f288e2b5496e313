/**
 * The cluster subsystem of the lab: corosync/cman membership, fenced and the fence agents, ricci,
 * modclusterd and their syslog lines, given to a world as the value `cluster` (rgmanager is its own
 * subsystem, `rgmanager`, in ./rgmanager/).
 */
import type { LabSubsystem } from '../world/world.js';
import { AGENT_PROGRAMS } from './agents.js';
import { PASSWD_PROGRAMS } from './passwd.js';
import { CLUSTER_STATE, CLUSTER_TIMERS } from './model.js';
import { CMAN_PROGRAMS, CMAN_SERVICES, CMAN_WRAPS } from './commands.js';
import { GROUP_TOOLS_PROGRAMS } from './group-tools.js';

export { clusterView, type ClusterView } from './view.js';
export { rgmanager } from './rgmanager/index.js';

/** The cluster subsystem. */
export const cluster: LabSubsystem = {
  name: 'cluster',
  programs: { ...AGENT_PROGRAMS, ...PASSWD_PROGRAMS, ...CMAN_PROGRAMS, ...GROUP_TOOLS_PROGRAMS },
  wraps: CMAN_WRAPS,
  services: CMAN_SERVICES,
  timers: CLUSTER_TIMERS,
  state: CLUSTER_STATE,
};
