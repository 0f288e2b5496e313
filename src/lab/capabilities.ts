/**
 * Which steps of the install the lab simulates so far. The lab's command set grows step by step;
 * the installer stops before the first step the lab cannot play and says so, rather than failing on
 * a tool the lab does not have.
 */

/** Step ids (steps/index.ts) whose every command and verify the lab can answer. */
export const LAB_SIMULATED_STEPS: readonly string[] = [
  'preflight',
  'nics',
  'security',
  'net-daemons',
  'network',
  'hosts',
  'ssh-keys',
  'packages',
];
