/**
 * The cluster subsystem of the lab: corosync/cman membership, fenced and the fence agents, ricci,
 * modclusterd, rgmanager and their syslog lines. Importing this module registers its commands, init
 * scripts, timers and world state.
 */
export {};
import './rgmanager/index.js';
