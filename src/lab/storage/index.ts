/**
 * The storage subsystem of the lab: disks and partition tables, DRBD 8.3, clustered LVM and GFS2,
 * given to a world as the value `storage`.
 */
import type { LabSubsystem } from '../world/world.js';
import { STORAGE_STATE } from './state.js';
import { PARTED_PROC_FILES, PARTED_PROGRAMS } from './parted.js';
import { DRBD_PROC_FILES, DRBD_TIMERS } from './drbd.js';
import { DRBD_COMMANDS_PROGRAMS, DRBD_COMMANDS_SERVICES } from './drbd-commands.js';
import { LVM_PROGRAMS, LVM_SERVICES } from './lvm.js';
import { GFS2_PROC_FILES, GFS2_PROGRAMS, GFS2_SERVICES } from './gfs2.js';
import { FETCH_PROGRAMS } from './fetch.js';
import { FENCE_HANDLERS_PACKAGES, FENCE_HANDLERS_PROGRAMS } from './fence-handlers.js';

export { destructiveLog, storageOf, type DestructiveEntry, type StorageOpts } from './state.js';
export { nodeFenced } from './drbd.js';

/** The storage subsystem (it asks a `cluster` subsystem of the same world about membership and fencing). */
export const storage: LabSubsystem = {
  name: 'storage',
  programs: {
    ...PARTED_PROGRAMS,
    ...DRBD_COMMANDS_PROGRAMS,
    ...LVM_PROGRAMS,
    ...GFS2_PROGRAMS,
    ...FETCH_PROGRAMS,
    ...FENCE_HANDLERS_PROGRAMS,
  },
  services: [...DRBD_COMMANDS_SERVICES, ...LVM_SERVICES, ...GFS2_SERVICES],
  packages: FENCE_HANDLERS_PACKAGES,
  procFiles: { ...PARTED_PROC_FILES, ...DRBD_PROC_FILES, ...GFS2_PROC_FILES },
  timers: DRBD_TIMERS,
  state: STORAGE_STATE,
};
