/**
 * The storage subsystem of the lab: disks and partition tables, DRBD 8.3, clustered LVM and GFS2.
 * Importing this module registers its commands, init scripts, timers and world state.
 */
export { destructiveLog, storageOf, type DestructiveEntry, type StorageOpts } from './state.js';
import './parted.js';
export { nodeFenced } from './drbd.js';
import './drbd-commands.js';
import './lvm.js';
import './gfs2.js';
import './fetch.js';
import './fence-handlers.js';
import './dd.js';
import './lvchange.js';
import './lvremove.js';
import './dmsetup.js';
import './blkid.js';
import './fdisk.js';
import './drbd-overview.js';
import './gfs2-tool-info.js';
import './drbdsetup.js';
