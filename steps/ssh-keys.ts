/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const sshKeys: Step = { id: 'ssh-keys', title: 'ssh-keys (not yet declared)', doc: '', tasks: [] };
