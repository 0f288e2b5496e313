import { afterEach, describe, expect, it } from 'vitest';
import colors from 'ansi-colors';
import { applyColorPolicy } from '../../src/util/colors.js';

describe('colour policy', () => {
  afterEach(() => {
    colors.enabled = true;
  });
  it('prompts are plain when piped or with NO_COLOR, coloured on a terminal', () => {
    expect(applyColorPolicy(true, {})).toBe(true);
    expect(colors.cyan('?')).toBe('\u001b[36m?\u001b[39m');
    expect(applyColorPolicy(true, { NO_COLOR: '1' })).toBe(false);
    expect(colors.cyan('?')).toBe('?');
    expect(applyColorPolicy(false, {})).toBe(false);
    expect(colors.green('✔')).toBe('✔');
  });
});
