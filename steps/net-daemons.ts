/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const netDaemons: Step = { id: 'net-daemons', title: 'net-daemons (not yet declared)', doc: '', tasks: [] };
