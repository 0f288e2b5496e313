/** Wait `ms` milliseconds (pauses between probes; never as synchronisation in tests). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
