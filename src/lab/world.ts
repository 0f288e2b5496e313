/**
 * The lab's world (moved to world/world.ts); this path stays the lab's way in to it.
 */
export * from './world/world.js';
