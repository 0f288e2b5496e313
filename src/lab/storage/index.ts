/**
 * The storage subsystem of the lab: disks and partition tables, DRBD 8.3, clustered LVM and GFS2.
 * Importing this module registers its commands, init scripts, timers and world state.
 */
export {};
