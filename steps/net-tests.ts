/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const netTests: Step = { id: 'net-tests', title: 'net-tests (not yet declared)', doc: '', tasks: [] };
