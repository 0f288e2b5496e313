import { describe, expect, it } from 'vitest';
import { isOffAtBoot, isOnAtBoot, onLevels, parseChkconfig } from '../../src/verify/chkconfig.js';

describe('parseChkconfig (chkconfig --list)', () => {
  it("reads the tutorial's line for network", () => {
    const l = parseChkconfig('network        \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n');
    expect(l.get('network')).toEqual({ 0: false, 1: false, 2: true, 3: true, 4: true, 5: true, 6: false });
    expect(isOnAtBoot(l, 'network')).toBe(true);
    expect(isOffAtBoot(l, 'network')).toBe(false);
    expect(onLevels(l, 'network')).toBe('2,3,4,5');
  });

  it('tells off-everywhere from partly on, and skips xinetd sub-services', () => {
    const l = parseChkconfig(
      [
        'iptables       \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off',
        'ip6tables      \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off',
        'xinetd based services:',
        '\trsync:\toff',
      ].join('\n'),
    );
    expect(isOffAtBoot(l, 'iptables')).toBe(true);
    expect(isOffAtBoot(l, 'ip6tables')).toBe(false);
    expect(onLevels(l, 'iptables')).toBe('');
    expect(l.has('rsync:')).toBe(false);
    expect(onLevels(l, 'ntpd')).toBeUndefined();
  });
});
