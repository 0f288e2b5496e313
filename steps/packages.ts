/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const packages: Step = { id: 'packages', title: 'packages (not yet declared)', doc: '', tasks: [] };
