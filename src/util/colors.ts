/**
 * One colour policy for the whole process: colours only on a terminal and never with NO_COLOR
 * (https://no-color.org). The approval screens follow `wantColor`; enquirer's prompts draw with
 * ansi-colors, which only knows FORCE_COLOR, so it is switched off here when colours are not wanted.
 */
import colors from 'ansi-colors';
import { wantColor } from '../engine/approval.js';

/** Apply the policy to the prompts' colours; returns whether colours are on. */
export function applyColorPolicy(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const on = wantColor(isTTY, env);
  colors.enabled = on;
  return on;
}
