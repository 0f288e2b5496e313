/**
 * The lab has no internet: `wget` and `rpm --import` of the URLs the storage steps use (ELRepo's key
 * and release RPM, obliterate-peer.sh, rhcs_fence, the DRBD source tarball) are served from this
 * small built-in catalogue; any other URL fails as an unreachable host would.
 */
import type { CommandFn } from '../node/command.js';
import { YUM_COMMANDS } from '../commands/yum.js';
import { RHCS_FENCE_FILE } from './fence-handlers.js';

/**
 * The lab's obliterate-peer.sh: a shell script the lab's shell runs when DRBD calls its fence-peer
 * handler. It plays the behaviour of Lon Hohberger's script (Red Hat, 2011) as the tutorial describes
 * it (2094-2095: fence_node against the other node, DRBD told the result); it is not that script's code.
 */
export const OBLITERATE_PEER = `#!/bin/bash
#
# obliterate-peer.sh (anvil lab model of Lon Hohberger's DRBD fence-peer handler):
# fences the other node through the cluster (fence_node) and tells DRBD the
# peer was stonithed (exit 7). No delay: both nodes fence at once when each
# loses the other (the tutorial's "simultaneous fencing", 2118-2120).
#
LOCAL_NODE_ID=$(cman_tool status 2>/dev/null | awk '/Node ID:/ { print $3 }')
REMOTE=$(cman_tool nodes 2>/dev/null | awk -v id="$LOCAL_NODE_ID" '$1 != id && $1 ~ /^[0-9]+$/ { print $6; exit }')
logger -t /sbin/obliterate-peer.sh "Local node ID: $LOCAL_NODE_ID / Remote node: $REMOTE"
if [ -z "$REMOTE" ]; then
	logger -t /sbin/obliterate-peer.sh "Could not determine the remote node"
	exit 1
fi
for i in 1 2 3 4 5; do
	fence_node -v $REMOTE && exit 7
	logger -t /sbin/obliterate-peer.sh "kill node failed: Invalid argument"
	sleep 2
done
exit 1
`;

const CATALOGUE: Record<string, { text: string; mtime: number }> = {
  'https://alteeve.ca/files/an-cluster/sbin/obliterate-peer.sh': {
    text: OBLITERATE_PEER.padEnd(2100, '#') + '\n',
    mtime: Date.UTC(2011, 4, 4, 12),
  },
  'https://raw.github.com/digimer/rhcs_fence/master/rhcs_fence': {
    text: RHCS_FENCE_FILE,
    mtime: Date.UTC(2013, 0, 24, 22, 4),
  },
  'http://oss.linbit.com/drbd/8.3/drbd-8.3.15.tar.gz': {
    text: 'drbd-8.3.15 source (lab placeholder)\n',
    mtime: Date.UTC(2013, 0, 2),
  },
};
const KEYS = new Set(['http://elrepo.org/RPM-GPG-KEY-elrepo.org']);

const wget: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  let outFile: string | undefined;
  const urls: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-O') outFile = a[++i];
    else if (a[i].startsWith('-O') && a[i].length > 2) outFile = a[i].slice(2);
    else if (!a[i].startsWith('-')) urls.push(a[i]);
  }
  if (!urls.length) {
    ctx.err("wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n");
    return 1;
  }
  for (const url of urls) {
    const host = url.split('/')[2] ?? url;
    const item = CATALOGUE[url];
    ctx.err(
      `--${new Date(ctx.node.world.now()).toISOString().replace('T', ' ').slice(0, 19)}--  ${url}\nResolving ${host}... `,
    );
    if (!item) {
      ctx.err(`failed: Name or service not known.\nwget: unable to resolve host address \`${host}'\n`);
      return 4;
    }
    const dest = outFile ?? url.split('/').pop()!;
    const path = ctx.sh.resolve(dest);
    ctx.err(
      `192.0.2.10\nConnecting to ${host}|192.0.2.10|:${url.startsWith('https') ? 443 : 80}... connected.\nHTTP request sent, awaiting response... 200 OK\nLength: ${item.text.length} (${(item.text.length / 1024).toFixed(1)}K)\nSaving to: \`${dest}'\n\n100%[======================================>] ${item.text.length.toLocaleString('en-US')}  --.-K/s   in 0s\n\n\`${dest}' saved [${item.text.length}/${item.text.length}]\n\n`,
    );
    ctx.node.fs.writeFile(path, item.text, 0o644);
    ctx.node.fs.utimes(path, item.mtime);
  }
  ctx.node.world.changed();
  return 0;
};

// `rpm --import URL`: the ELRepo key from the catalogue; everything else goes to the lab's rpm.
const baseRpm = YUM_COMMANDS.rpm;

/** The programs of this module, by implementation name. */
export const FETCH_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  wget: wget,
  rpm: (ctx) => {
    const a = ctx.argv.slice(1);
    if (a[0] === '--import') {
      for (const k of a.slice(1)) {
        if (KEYS.has(k)) {
          ctx.node.fs.mkdirp('/etc/pki/rpm-gpg');
          ctx.node.fs.writeFile(
            '/etc/pki/rpm-gpg/RPM-GPG-KEY-elrepo.org',
            '-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: GnuPG v1.4.5 (GNU/Linux)\n(lab copy)\n-----END PGP PUBLIC KEY BLOCK-----\n',
          );
          continue;
        }
        if (k.includes('://'))
          ctx.err(`curl: (6) Couldn't resolve host '${k.split('/')[2]}'\nerror: ${k}: import read failed(2).\n`);
        else ctx.err(`error: ${k}: import read failed(2).\n`);
        return 1;
      }
      return 0;
    }
    return baseRpm ? baseRpm(ctx) : 1;
  },
};
