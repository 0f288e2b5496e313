/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const fenceTests: Step = { id: 'fence-tests', title: 'fence-tests (not yet declared)', doc: '', tasks: [] };
