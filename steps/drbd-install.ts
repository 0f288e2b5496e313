/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const drbdInstall: Step = { id: 'drbd-install', title: 'drbd-install (not yet declared)', doc: '', tasks: [] };
