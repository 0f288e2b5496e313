/**
 * What the rest of the lab (libvirt guests, rgmanager's storage services) may ask the storage
 * subsystem. The storage subsystem keeps its state under the key `storage` and implements this;
 * `storageView(world)` finds it.
 */
import type { Subsystem } from '../world/world.js';

/** Storage as seen from one node. */
export interface StorageView extends Subsystem {
  /** A block device path (e.g. `/dev/an01-vg0/vm0001-1`) exists and is usable (LV active) on the node. */
  blockDeviceReady(node: string, path: string): boolean;
  /** Size in bytes of a block device on the node (undefined when absent). */
  blockDeviceBytes(node: string, path: string): number | undefined;
}

/** The world's storage subsystem, if this build has one. */
export function storageView(world: { sub<T extends Subsystem>(key: string): T | undefined }): StorageView | undefined {
  return world.sub<StorageView>('storage');
}
