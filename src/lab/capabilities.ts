/**
 * Which steps of the install the lab simulates. The installer stops before the first step the lab
 * cannot play and says so, rather than failing on a tool the lab does not have.
 */
import { STEPS } from '../../steps/index.js';

/** Step ids (steps/index.ts) whose every command and verify the lab can answer: all of them. */
export const LAB_SIMULATED_STEPS: readonly string[] = STEPS.map((s) => s.id);
