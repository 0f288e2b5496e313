/**
 * Issue 15, point 6: the answers refuse what a node would refuse or misread, each with the field's
 * path and the fix; the tutorial's own values still load.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validateAnswers } from '../../src/plan/load.js';
import { AnswersInvalid } from '../../src/errors.js';

const EXAMPLE = 'examples/tutorial.anvil.yaml';

type Raw = any;

/** The issues of the example answers changed by `mutate`, as `path: message` lines. */
function issuesOf(mutate: (a: Raw) => void): string[] {
  const a = parse(readFileSync(EXAMPLE, 'utf8'));
  mutate(a);
  try {
    validateAnswers(a, 'test', {});
  } catch (e) {
    if (e instanceof AnswersInvalid) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

const RLO = '\u202e';
const long = (n: number) => 'a'.repeat(n);
const device = (a: Raw, k: string, v: unknown) => (a.fencing.devices[0][k] = v);

/** [what, change, the one issue expected (a regexp on `path: message`)] */
const refused: [string, (a: Raw) => void, RegExp][] = [
  // names within the limits of the files they land in
  [
    'a 5,000-character label',
    (a) => (a.nodes[0].label = long(5000)),
    /^nodes\[0\]\.label: at most 47 characters: it becomes the rgmanager service "service:storage_<label>", at most 63/,
  ],
  ['a 48-character label', (a) => (a.nodes[0].label = long(48)), /^nodes\[0\]\.label: at most 47 characters/],
  [
    'a 61-character VM name',
    (a) => (a.vms[0].name = long(61)),
    /^vms\[0\]\.name: at most 60 characters: it becomes the rgmanager service "vm:<name>"/,
  ],
  [
    'a 64-character fence device name',
    (a) => {
      const n = long(64);
      a.fencing.devices[0].name = n;
      a.fencing.methods['an-node01'][0].devices[0].device = n;
    },
    /^fencing\.devices\[0\]\.name: at most 63 characters/,
  ],
  [
    'a 64-character method name',
    (a) => (a.fencing.methods['an-node01'][0].name = long(64)),
    /^fencing\.methods\.an-node01\[0\]\.name: at most 63 characters/,
  ],
  [
    'a 16-character bridge',
    (a) => (a.networks.ifn.bridge = 'vbr2-0123456789a'),
    /^networks\.ifn\.bridge: an interface name is at most 15 characters/,
  ],
  [
    'a 64-character DNS label in the domain',
    (a) => (a.cluster.domain = `${long(64)}.ca`),
    /^cluster\.domain: a DNS name is at most 253 characters, each part between dots at most 63/,
  ],
  [
    'a 64-character DNS label in the NTP server',
    (a) => (a.ntp.server = `${long(64)}.org`),
    /^ntp\.server: a DNS name is at most 253/,
  ],
  [
    'a 64-character name in extraHosts',
    (a) => (a.extraHosts[0].names = [long(64)]),
    /^extraHosts\[0\]\.names\[0\]: a DNS name is at most 253/,
  ],
  // no control or bidi characters
  [
    'a bidi override in the fence login',
    (a) => device(a, 'login', `ro${RLO}ot`),
    /^fencing\.devices\[0\]\.login: holds the invisible bidirectional character U\+202E/,
  ],
  [
    'a bidi isolate in a comment',
    (a) => (a.extraHosts[0].comment = 'Fence \u2067devices'),
    /^extraHosts\[0\]\.comment: holds the invisible bidirectional character U\+2067/,
  ],
  [
    'an escape character in the fence login',
    (a) => device(a, 'login', 'ro\x1b[2Jot'),
    /^fencing\.devices\[0\]\.login: holds the control character U\+001B/,
  ],
  [
    'a bell in the ricci password (the message does not show it)',
    (a) => (a.ricci.password = 'pass\x07word'),
    /^ricci\.password: holds the control character U\+0007, which/,
  ],
  // nothing an agent or ssh would read as an option
  [
    '-oProxyCommand as the fence login',
    (a) => device(a, 'login', '-oProxyCommand=x'),
    /^fencing\.devices\[0\]\.login: "-oProxyCommand=x" starts with "-": the agent passes it to ipmitool, ssh or telnet/,
  ],
  [
    '-oProxyCommand as lanplus',
    (a) => device(a, 'lanplus', '-oProxyCommand=x'),
    /^fencing\.devices\[0\]\.lanplus: "-oProxyCommand=x" starts with "-"/,
  ],
  ['-x as the fence address', (a) => device(a, 'ipaddr', '-x'), /^fencing\.devices\[0\]\.ipaddr: "-x" starts with "-"/],
  [
    'a method port of -1',
    (a) => (a.fencing.methods['an-node01'][1].devices[0].port = -1),
    /^fencing\.methods\.an-node01\[1\]\.devices\[0\]\.port: must be a whole number from 1/,
  ],
  [
    'a method port of "-oX"',
    (a) => (a.fencing.methods['an-node01'][1].devices[0].port = '-oX'),
    /^fencing\.methods\.an-node01\[1\]\.devices\[0\]\.port: a port is an outlet number from 1 or a name/,
  ],
  // ports and numbers as whole numbers in range
  [
    'ipport true',
    (a) => device(a, 'ipport', true),
    /^fencing\.devices\[0\]\.ipport: true is not a TCP port: write a whole number from 1 to 65535/,
  ],
  ['ipport 1.5', (a) => device(a, 'ipport', 1.5), /^fencing\.devices\[0\]\.ipport: 1\.5 is not a TCP port/],
  ['ipport -1', (a) => device(a, 'ipport', -1), /^fencing\.devices\[0\]\.ipport: -1 is not a TCP port/],
  [
    'ipport 2^64',
    (a) => device(a, 'ipport', 2 ** 64),
    /^fencing\.devices\[0\]\.ipport: 18446744073709552000 is not a TCP port/,
  ],
  ['ipport "70000"', (a) => device(a, 'ipport', '70000'), /^fencing\.devices\[0\]\.ipport: "70000" is not a TCP port/],
  [
    'power_wait 2^64',
    (a) => device(a, 'power_wait', 2 ** 64),
    /^fencing\.devices\[0\]\.power_wait: 18446744073709552000 is not a whole number from 0 to 2147483647/,
  ],
  [
    'power_wait 1.5',
    (a) => device(a, 'power_wait', 1.5),
    /^fencing\.devices\[0\]\.power_wait: 1\.5 is not a whole number/,
  ],
  [
    'a node id of 2^64',
    (a) => (a.nodes[0].id = 2 ** 64),
    /^nodes\[0\]\.id: must be a whole number from 1 to 2147483647/,
  ],
  ['vcpus of 2^64', (a) => (a.vms[0].vcpus = 2 ** 64), /^vms\[0\]\.vcpus: must be a whole number from 1 to 160/],
  ['ram of 1.5', (a) => (a.vms[0].ram = 1.5), /^vms\[0\]\.ram: must be a whole number from 1 to 4194304/],
  [
    'restartExpireTime of 2^64',
    (a) => (a.vmService.restartExpireTime = 2 ** 64),
    /^vmService\.restartExpireTime: must be a whole number from 0 to 2147483647/,
  ],
  [
    'wfcTimeout of -1',
    (a) => (a.storage.drbd.wfcTimeout = -1),
    /^storage\.drbd\.wfcTimeout: must be a whole number from 0/,
  ],
  // paths of node files: absolute, no "..", checked at load
  [
    '../../etc/x as the floppy',
    (a) => (a.vms[3].install.floppy = '../../etc/x'),
    /^vms\[3\]\.install\.floppy: must be an absolute path on the node/,
  ],
  [
    '/shared/../etc/x as the floppy',
    (a) => (a.vms[3].install.floppy = '/shared/../etc/x'),
    /^vms\[3\]\.install\.floppy: must not have "\." or "\.\." or "\/\/" in it/,
  ],
  [
    'a floppy with a "," (another virt-install option)',
    (a) => (a.vms[3].install.floppy = '/shared/x.vfd,device=disk'),
    /^vms\[3\]\.install\.floppy: must be an absolute path on the node .* without spaces, ","/,
  ],
  [
    'x$(touch …) as the cdrom',
    (a) => (a.vms[3].install.cdrom = 'x$(touch /tmp/p)'),
    /^vms\[3\]\.install\.cdrom: must be an absolute path on the node/,
  ],
  [
    'a cdrom with a 256-character file name',
    (a) => (a.vms[3].install.cdrom = `/shared/${long(256)}.iso`),
    /^vms\[3\]\.install\.cdrom: too long for a path on the node/,
  ],
  [
    '-x as the install location',
    (a) => (a.vms[0].install.location = '--boot=x'),
    /^vms\[0\]\.install\.location: must be an http:\/\/, https:\/\/, ftp:\/\/ or nfs: URL, or an absolute path/,
  ],
  [
    'a location with $(…)',
    (a) => (a.vms[0].install.location = 'http://x/$(reboot)'),
    /^vms\[0\]\.install\.location: must be an http/,
  ],
  [
    '../../etc/x as the privateKey',
    (a) => (a.nodes[0].ssh.privateKey = '../../etc/x'),
    /^nodes\[0\]\.ssh\.privateKey: must be an absolute path \(or ~\/\.\.\.\)/,
  ],
  [
    '/home/../etc/x as the privateKey',
    (a) => (a.nodes[0].ssh.privateKey = '/home/../etc/x'),
    /^nodes\[0\]\.ssh\.privateKey: must not have "\.\." in it/,
  ],
  [
    'a fence peer script under ..',
    (a) => (a.storage.drbd.fencePeer = '/sbin/../tmp/x.sh'),
    /^storage\.drbd\.fencePeer: must not have "\." or "\.\."/,
  ],
];

describe('answers a node would refuse or misread', () => {
  it.each(refused)('%s: refused with the field and the fix', (_what, mutate, expected) => {
    const issues = issuesOf(mutate);
    expect(issues.length, issues.join('\n')).toBeGreaterThan(0);
    expect(
      issues.some((i) => expected.test(i)),
      issues.join('\n'),
    ).toBe(true);
  });

  it('the message of a refused password names the character, never the password', () => {
    const issues = issuesOf((a) => (a.ricci.password = `zqx${RLO}wv-unique`));
    expect(issues.join('\n')).not.toContain('zqx');
    expect(issues).toEqual([
      'ricci.password: holds the invisible bidirectional character U+202E, which makes the text display otherwise than it reads; remove it',
    ]);
  });

  it.each<[string, (a: Raw) => void]>([
    ['the tutorial as written', () => {}],
    [
      'labels of 47 characters and a VM name of 60',
      (a) => {
        a.nodes[0].label = long(47);
        a.vms[0].name = long(60);
      },
    ],
    ['an interface name of 15 characters', (a) => (a.networks.ifn.bridge = 'vbr2-0123456789')],
    [
      'ipport 623 as a number or text, a PDU outlet 8',
      (a) => {
        device(a, 'ipport', 623);
        a.fencing.devices[1].ipport = '623';
        a.fencing.methods['an-node01'][1].devices[0].port = 8;
      },
    ],
    [
      'a fence_virsh port that names a guest, power_wait 5, lanplus 1 or true',
      (a) => {
        a.fencing.methods['an-node01'][1].devices[0].port = 'an-node01.example';
        device(a, 'power_wait', 5);
        device(a, 'lanplus', 1);
        a.fencing.devices[1].lanplus = true;
      },
    ],
    [
      'a password that starts with "-" (passed as the value of -P, never as an option)',
      (a) => device(a, 'passwd', '-secret-pw'),
    ],
    [
      'a privateKey under ~/ and a location on the node',
      (a) => {
        a.nodes[0].ssh.privateKey = '~/.ssh/id_ed25519';
        a.vms[0].install.location = '/shared/files/c6';
      },
    ],
    [
      'an ISO as the driver floppy, a https and an nfs location',
      (a) => {
        a.vms[3].install.floppy = '/shared/files/virtio-win-0.1-52.iso';
        a.vms[0].install.location = 'https://mirror.example.com/centos/6/os/x86_64/';
        a.vms[1].install.location = 'nfs:10.255.255.254:/c6';
      },
    ],
    ['a UTF-8 comment', (a) => (a.extraHosts[0].comment = 'Clôture — PDUs')],
  ])('still accepts %s', (_what, mutate) => {
    expect(issuesOf(mutate)).toEqual([]);
  });
});
