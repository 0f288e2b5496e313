/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const acceptance: Step = { id: 'acceptance', title: 'acceptance (not yet declared)', doc: '', tasks: [] };
