/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const clvm: Step = { id: 'clvm', title: 'clvm (not yet declared)', doc: '', tasks: [] };
