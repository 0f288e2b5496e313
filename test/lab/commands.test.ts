import { describe, it, expect, beforeAll } from 'vitest';
import { world, run } from './helpers.js';
import type { LabNode } from '../../src/lab/node/node.js';

let n: LabNode;
beforeAll(async () => {
  n = world().nodes['an-node01']!;
  n.fs.writeFile('/tmp/t', 'alpha 1 x\nbeta 22 y\ngamma 3 z\nBeta 4 w\n');
});

const table: [string, string, string, number?][] = [
  // text filters
  ['grep', 'grep beta /tmp/t', 'beta 22 y\n'],
  ['grep -i -c', 'grep -ic beta /tmp/t', '2\n'],
  ['grep -v -e', 'grep -v -e a /tmp/t', '', 1],
  ['grep -E', "grep -E '^(alpha|gamma)' /tmp/t", 'alpha 1 x\ngamma 3 z\n'],
  ['grep BRE interval', "grep '[0-9]\\{2\\}' /tmp/t", 'beta 22 y\n'],
  ['grep -q miss', 'grep -q nothing /tmp/t', '', 1],
  ['grep missing file', 'grep x /nope', '', 2],
  ['grep -n -A', 'grep -n -A1 alpha /tmp/t', '1:alpha 1 x\n2-beta 22 y\n'],
  ['awk field', "awk '{ print $2 }' /tmp/t", '1\n22\n3\n4\n'],
  ['awk pattern', "awk '/^b/ { print $1 }' /tmp/t", 'beta\n'],
  ['awk -F NR NF', "echo a:b:c | awk -F: '{ print NF, $NF, NR }'", '3 c 1\n'],
  ['awk sum END', "awk '{ s += $2 } END { print s }' /tmp/t", '30\n'],
  ['awk compare printf', 'awk \'$2 > 3 { printf "%s=%d\\n", $1, $2 }\' /tmp/t', 'beta=22\nBeta=4\n'],
  ['awk BEGIN vars', 'awk -v x=5 \'BEGIN { print x * 2, length("abc"), toupper("q") }\'', '10 3 Q\n'],
  ['sed s///', "sed 's/a/A/' /tmp/t | head -n 2", 'Alpha 1 x\nbetA 22 y\n'],
  ['sed g and -n p', "sed -n 's/a/A/gp' /tmp/t | head -n 1", 'AlphA 1 x\n'],
  ['sed -e d addr', "sed -e '2d' -e '/gamma/d' /tmp/t", 'alpha 1 x\nBeta 4 w\n'],
  ['sed groups -r', 'echo \'HWADDR="AA"\' | sed -r \'s/^(HWADDR)="(.*)"/\\2 \\1/\'', 'AA HWADDR\n'],
  ['sed append', "printf 'a\\nb\\n' | sed '/a/a\\\nnew'", 'a\nnew\nb\n'],
  ['cut -d -f', "cut -d' ' -f1,3 /tmp/t | head -n 1", 'alpha x\n'],
  ['cut -c', 'echo abcdef | cut -c2-4', 'bcd\n'],
  ['tr -d -s', "echo 'aa  bb' | tr -s ' ' | tr -d b", 'aa \n'],
  ['tr classes', "echo MiXed | tr '[:upper:]' '[:lower:]'", 'mixed\n'],
  ['wc -l', 'wc -l /tmp/t', '4 /tmp/t\n'],
  ['wc stdin', 'wc -l < /tmp/t', '4\n'],
  ['head/tail', 'head -n 3 /tmp/t | tail -n 1', 'gamma 3 z\n'],
  ['tail +N', 'tail -n +4 /tmp/t', 'Beta 4 w\n'],
  ['sort -k -n -r', 'sort -k2 -n -r /tmp/t | head -n 1', 'beta 22 y\n'],
  ['sort uniq -c', "printf 'b\\na\\nb\\n' | sort | uniq -c", '      1 a\n      2 b\n'],
  ['tee', 'echo hi | tee /tmp/tee1 >/dev/null; cat /tmp/tee1', 'hi\n'],
  ['tee -a', 'echo more | tee -a /tmp/tee1; cat /tmp/tee1', 'more\nhi\nmore\n'],
  ['cat -n', "printf 'a\\nb\\n' | cat -n", '     1\ta\n     2\tb\n'],
  ['seq', 'seq 3', '1\n2\n3\n'],
  // files
  ['mkdir -p, touch, ls', 'mkdir -p /tmp/d/e && touch /tmp/d/e/f /tmp/d/g && ls /tmp/d', 'e\ng\n'],
  ['mkdir exists', 'mkdir /tmp', '', 1],
  [
    'cp -p, mv, rm',
    'cp -p /tmp/t /tmp/t2 && mv /tmp/t2 /tmp/t3 && ls /tmp/t2 2>/dev/null; cat /tmp/t3 | wc -l; rm /tmp/t3; ls /tmp/t3',
    '4\n',
    2,
  ],
  ['cp -a dir', 'cp -a /tmp/d /tmp/dd && ls /tmp/dd/e', 'f\n'],
  ['cp missing', 'cp /nope /tmp/', '', 1],
  [
    'rm dir needs -r',
    'rm /tmp/dd 2>&1; echo $?; rm -rf /tmp/dd; ls /tmp/dd 2>&1',
    "rm: cannot remove `/tmp/dd': Is a directory\n1\nls: cannot access /tmp/dd: No such file or directory\n",
    2,
  ],
  ['chmod octal+symbolic', 'touch /tmp/m && chmod 600 /tmp/m && chmod g+r,o+r /tmp/m && stat -c %a /tmp/m', '644\n'],
  ['chown', 'chown sshd:sshd /tmp/m && stat -c "%U %G" /tmp/m', 'sshd sshd\n'],
  [
    'ln -s readlink -f',
    'ln -s /etc/hosts /tmp/h && readlink /tmp/h && readlink -f /etc/init.d/network',
    '/etc/hosts\n/etc/rc.d/init.d/network\n',
  ],
  ['basename dirname', 'basename /a/b/c.txt .txt; dirname /a/b/c.txt; dirname c', 'c\n/a/b\n.\n'],
  ['ls -la', 'ls -la /tmp/d | head -n 1', 'total 12\n'],
  ['test -f -d -L', 'test -f /etc/hosts && [ -d /etc ] && [ -L /etc/init.d ] && [ ! -e /nope ] && echo ok', 'ok\n'],
  ['test strings ints', '[ "a" = "a" -a 3 -gt 2 ] && test -n x && test -z "" && echo ok', 'ok\n'],
  // system
  ['id whoami', 'id -u; whoami', '0\nroot\n'],
  ['uname', 'uname -n; uname -r; uname', 'an-node01.alteeve.ca\n2.6.32-358.el6.x86_64\nLinux\n'],
  [
    'uname -a',
    'uname -a',
    'Linux an-node01.alteeve.ca 2.6.32-358.el6.x86_64 #1 SMP Fri Feb 22 00:31:26 UTC 2013 x86_64 x86_64 x86_64 GNU/Linux\n',
  ],
  ['hostname -s', 'hostname -s', 'an-node01\n'],
  ['which', 'which ssh rsync', '/usr/bin/ssh\n/usr/bin/rsync\n'],
  ['which missing', 'which nosuch', '', 1],
  ['env', 'env -i A=1 env', 'A=1\n'],
  ['date format', 'date -d @0 +%Y-%m-%d', '1970-01-01\n'],
  ['modprobe', 'modprobe bonding && echo ok', 'ok\n'],
  [
    'getent',
    'getent hosts localhost4',
    '127.0.0.1       localhost localhost.localdomain localhost4 localhost4.localdomain4\n',
  ],
  ['getent miss', 'getent hosts nope', '', 2],
  ['gethostip -d', 'yum -q -y install syslinux && gethostip -d localhost4', '127.0.0.1\n'],
  [
    'ifconfig one',
    'ifconfig eth0 | head -n 2',
    'eth0      Link encap:Ethernet  HWaddr 00:E0:81:C7:EC:49  \n          inet addr:10.20.0.1  Bcast:10.20.255.255  Mask:255.255.0.0\n',
  ],
  ['ifconfig missing', 'ifconfig eth9', '', 1],
  [
    'ip addr show dev',
    'ip addr show eth0',
    '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP qlen 1000\n    link/ether 00:e0:81:c7:ec:49 brd ff:ff:ff:ff:ff:ff\n    inet 10.20.0.1/16 brd 10.20.255.255 scope global eth0\n    inet6 fe80::2e0:81ff:fec7:ec49/64 scope link \n',
  ],
];

describe('command families', () => {
  for (const [name, cmd, out, code] of table) {
    it(name, async () => {
      const r = await run(n, cmd);
      expect(r.out).toBe(out);
      expect(r.code).toBe(code ?? 0);
    });
  }

  it('sed -i edits in place (with a backup suffix)', async () => {
    n.fs.writeFile('/tmp/cfg', 'locking_type = 1\nfallback_to_local_locking = 1\n');
    await run(
      n,
      "sed -i.bak -e 's/locking_type = 1/locking_type = 3/' -e 's/^fallback_to_local_locking = 1/fallback_to_local_locking = 0/' /tmp/cfg",
    );
    expect(n.fs.readText('/tmp/cfg')).toBe('locking_type = 3\nfallback_to_local_locking = 0\n');
    expect(n.fs.readText('/tmp/cfg.bak')).toBe('locking_type = 1\nfallback_to_local_locking = 1\n');
  });

  it('ls -l prints EL6 long listings', async () => {
    const r = await run(n, 'ls -l /etc/init.d /etc/hosts');
    expect(r.out).toMatch(
      /^-rw-r--r--\. 1 root root 158 \w{3} [ \d]\d \d\d:\d\d \/etc\/hosts\nlrwxrwxrwx\. 1 root root {2}11 \w{3} [ \d]\d \d\d:\d\d \/etc\/init\.d -> rc\.d\/init\.d\n$/,
    );
  });

  it('sleep advances lab time without waiting', async () => {
    const t0 = Number((await run(n, 'date +%s')).out);
    await run(n, 'sleep 300');
    expect(Number((await run(n, 'date +%s')).out) - t0).toBeGreaterThanOrEqual(300);
  });
});
