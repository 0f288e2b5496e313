/**
 * The storage subsystem of the lab: disks and partition tables, DRBD 8.3, clustered LVM and GFS2,
 * given to a world as the value `storage`.
 */
import type { LabSubsystem } from '../world/world.js';
import { Storage, type StorageLayers, type StorageSaved } from './state.js';
import { PARTED_PROC_FILES, PARTED_PROGRAMS, partedReset } from './parted.js';
import { DRBD_PROC_FILES, DRBD_TIMERS, drbdNodeDown } from './drbd.js';
import { DRBD_COMMANDS_PROGRAMS, DRBD_COMMANDS_SERVICES } from './drbd-commands.js';
import { lvmActiveSizeKiB, lvmGuestWriters, lvmHeldOpen } from './lvm.js';
import { LVM_PROGRAMS, LVM_SERVICES } from './lvm-commands.js';
import { GFS2_PROC_FILES, GFS2_PROGRAMS, GFS2_SERVICES, gfs2Fenced, gfs2NodeDown } from './gfs2.js';
import { FETCH_PROGRAMS } from './fetch.js';
import { FENCE_HANDLERS_PACKAGES, FENCE_HANDLERS_PROGRAMS } from './fence-handlers.js';
import { DD_PROGRAMS } from './dd.js';
import { LVCHANGE_PROGRAMS } from './lvchange.js';
import { LVREMOVE_PROGRAMS } from './lvremove.js';
import { DMSETUP_PROGRAMS } from './dmsetup.js';
import { BLKID_PROGRAMS } from './blkid.js';
import { FDISK_PROGRAMS } from './fdisk.js';
import { DRBD_OVERVIEW_PROGRAMS } from './drbd-overview.js';
import { GFS2_TOOL_INFO_PROGRAMS } from './gfs2-tool-info.js';
import { DRBDSETUP_PROGRAMS } from './drbdsetup.js';

export { destructiveLog, storageOf, type DestructiveEntry, type StorageOpts } from './state.js';
export { nodeFenced } from './drbd.js';

/** How the layers stack: DRBD under LVM under GFS2 (DRBD asks the layers above through these). */
const LAYERS: StorageLayers = {
  guestWriters: lvmGuestWriters,
  heldOpen: lvmHeldOpen,
  activeSizeKiB: lvmActiveSizeKiB,
  fenced: gfs2Fenced,
  down: [drbdNodeDown, gfs2NodeDown],
  reset: [partedReset],
};

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
    ...DD_PROGRAMS,
    ...LVCHANGE_PROGRAMS,
    ...LVREMOVE_PROGRAMS,
    ...DMSETUP_PROGRAMS,
    ...BLKID_PROGRAMS,
    ...FDISK_PROGRAMS,
    ...DRBD_OVERVIEW_PROGRAMS,
    // NOTE: these two refine programs given above (gfs2_tool sb, the drbdsetup stub): after them.
    ...GFS2_TOOL_INFO_PROGRAMS,
    ...DRBDSETUP_PROGRAMS,
  },
  services: [...DRBD_COMMANDS_SERVICES, ...LVM_SERVICES, ...GFS2_SERVICES],
  packages: FENCE_HANDLERS_PACKAGES,
  procFiles: { ...PARTED_PROC_FILES, ...DRBD_PROC_FILES, ...GFS2_PROC_FILES },
  timers: DRBD_TIMERS,
  state: { key: 'storage', create: (world, saved) => new Storage(world, saved as StorageSaved | undefined, LAYERS) },
};
