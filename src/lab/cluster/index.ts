/**
 * The cluster subsystem of the lab: corosync/cman membership, fenced and the fence agents, ricci,
 * modclusterd, rgmanager and their syslog lines. Importing this module registers its commands, init
 * scripts, timers and world state.
 */
import '../power/power.js';
import './agents.js';
import './passwd.js';
import './model.js';
import './commands.js';
import './group-tools.js';

export { clusterView, type ClusterView } from './view.js';
import './rgmanager/index.js';
