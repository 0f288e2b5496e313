/**
 * The answers-file format, as a zod schema.
 *
 * The contract is `shared/contract/tutorial.anvil.yaml`: every key there is accepted here with the
 * same meaning. Keys we add carry defaults so a contract file stays valid. Cross-field rules
 * (addresses inside CIDRs, uniqueness, references) live in `checks.ts`, so that a file with ten
 * mistakes gets ten messages.
 */
import { z } from 'zod';

const MAC_RE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// NOTE: names end up in shell commands, file names and XML; keep them to a conservative alphabet.
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const SIZE_RE = /^\d+(\.\d+)?(B|kB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$/;
const LV_SIZE_RE = /^(\d+(\.\d+)?[KMGTkmgt]|\d+%(FREE|VG|PVS))$/;
/** A size string whose number is above zero (`0GB`, `0.0G`, `0%FREE` are refused). */
const aboveZero = (s: string) => !/^(\d+(\.\d+)?)/.test(s) || Number(/^(\d+(\.\d+)?)/.exec(s)![1]) > 0;

/** DRBD fence-peer handlers the tool installs. */
export const FENCE_HANDLERS = ['rhcs_fence', 'obliterate-peer'] as const;
/** A fence-peer handler. */
export type FenceHandler = (typeof FENCE_HANDLERS)[number];
/**
 * Where each handler goes: the tutorial's `/sbin/obliterate-peer.sh` (2094) and `/sbin/rhcs_fence`
 * (`mv rhcs_fence /sbin/`, 2123; its `ls` line shows /usr/sbin, the commands /sbin).
 */
export const FENCE_HANDLER_PATHS: Record<FenceHandler, string> = {
  rhcs_fence: '/sbin/rhcs_fence',
  'obliterate-peer': '/sbin/obliterate-peer.sh',
};
/** The handler a path names by its file name (`obliterate-peer.sh`, `rhcs_fence`), if any. */
export function handlerOfPath(path: string): FenceHandler | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base === 'obliterate-peer.sh' ? 'obliterate-peer' : base === 'rhcs_fence' ? 'rhcs_fence' : undefined;
}

export const ipv4 = z.string().regex(IPV4_RE, 'not an IPv4 address (e.g. 10.20.0.1)');
export const cidr = z
  .string()
  .regex(/^[\d.]+\/\d{1,2}$/, 'not a CIDR (e.g. 10.20.0.0/16)')
  .refine((s) => IPV4_RE.test(s.split('/')[0]) && Number(s.split('/')[1]) <= 32, 'not a CIDR (e.g. 10.20.0.0/16)');
export const mac = z.string().regex(MAC_RE, 'not a MAC address (e.g. 00:E0:81:C7:EC:49)');
export const name = z.string().regex(NAME_RE, 'use letters, digits, "-", "_" and "." only');
/**
 * A name that lands in cluster.conf, a file name or a command line: at most 63 characters, the
 * limit of the names a node holds most tightly (a DNS label, RFC 1035 2.3.4; an rgmanager service).
 */
const shortName = name.max(63, 'at most 63 characters (a DNS label and most cluster.conf names)');
// NOTE: rgmanager keeps a service's full name ("service:storage_<label>", "vm:<name>") in
// rg_state_t.rs_name[64] (rgmanager include/resgroup.h): 63 characters at most, or the names are cut
// and two services can clash.
const RG_NAME_MAX = 63;
/** A node's label: `storage_<label>` is an rgmanager service; `only_<label>`, `primary_<label>` failover domains. */
const label = name.max(
  RG_NAME_MAX - 'service:storage_'.length,
  `at most ${RG_NAME_MAX - 'service:storage_'.length} characters: it becomes the rgmanager service "service:storage_<label>", at most ${RG_NAME_MAX} (like an01)`,
);
/** A VM's name: the rgmanager service "vm:<name>", the libvirt domain and definitions/<name>.xml. */
const vmName = name.max(
  RG_NAME_MAX - 'vm:'.length,
  `at most ${RG_NAME_MAX - 'vm:'.length} characters: it becomes the rgmanager service "vm:<name>", at most ${RG_NAME_MAX}`,
);
/** Whether every dot-separated label of a DNS name is 1-63 characters and the whole at most 253 (RFC 1035 2.3.4). */
const dnsLengthsOk = (s: string) => s.includes(':') || (s.length <= 253 && s.split('.').every((l) => l.length <= 63));
const DNS_LENGTHS = 'a DNS name is at most 253 characters, each part between dots at most 63';
/** A host name or address (NTP server, /etc/hosts names). */
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]*$/, 'not a host name or address')
  .refine(dnsLengthsOk, DNS_LENGTHS);
/** The largest whole number every program on the node reads without loss (a C int). */
const INT_MAX = 2 ** 31 - 1;
/** A whole number from `min` to `max`, with a message that says so. */
const whole = (min: number, max = INT_MAX) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`)
    .max(max, `must be a whole number from ${min} to ${max}`);
/** Free text that ends up on one line of a file: no line breaks. */
const oneLine = z.string().regex(/^[^\r\n]*$/, 'must be on one line');
const absPath = z
  .string()
  .regex(/^\/[^\s'"`$\\;&|<>]*$/, 'must be an absolute path without spaces or shell characters');
/**
 * A file on the nodes named on a command line (virt-install's `--disk path=FILE,device=floppy`, the
 * DRBD fence handler): absolute, no "." or ".." parts, no shell characters and no "," (it would start
 * another virt-install option). PATH_MAX is 4096 and a file name at most 255 (linux/limits.h).
 */
const nodeFile = z
  .string()
  .regex(
    /^\/[^\s'"`$\\;&|<>,]*$/,
    'must be an absolute path on the node (like /shared/files/x.iso), without spaces, "," or shell characters',
  )
  .refine(
    (s) => !/(^|\/)\.\.?(\/|$)/.test(s) && !s.includes('//'),
    'must not have "." or ".." or "//" in it: write the plain absolute path',
  )
  .refine(
    (s) => s.length < 4096 && s.split('/').every((p) => p.length <= 255),
    'too long for a path on the node (a name is at most 255 characters)',
  );

/** A secret: literal, or `${env:NAME}` resolved from the environment at load time. Absent = prompt. */
export const secret = z
  .string({
    error: (i) =>
      i.input === null || i.input === undefined
        ? 'must not be empty; leave the key out to be asked for it'
        : typeof i.input === 'number' || typeof i.input === 'boolean'
          ? 'write the password in quotes: YAML reads an unquoted 0123 or 1e3 as a number and changes it'
          : 'must be text',
  })
  .min(1, 'must not be empty; leave the key out to be asked for it')
  .regex(/^[^\r\n\0]*$/, 'must be on one line');

const macPair = z.tuple([mac, mac], { error: 'must be a list of two MACs: [link 1, link 2]' });

export const nodeSchema = z.strictObject({
  name: name.describe('short host name; FQDN = name.domain'),
  label: label.describe('short tag used in resource names: ipmi_<label>, only_<label>, <label>-vg0'),
  id: whole(1).describe('cluster nodeid'),
  bcn: ipv4.describe('Back-Channel Network address (bond0)'),
  sn: ipv4.describe('Storage Network address (bond1)'),
  ifn: ipv4.describe('Internet-Facing Network address (vbr2)'),
  ipmi: ipv4.describe('IPMI BMC address (/etc/hosts: <ip> <name>.ipmi)'),
  nics: z
    .strictObject({ bcn: macPair, sn: macPair, ifn: macPair })
    .optional()
    .describe('MACs per network, [link 1, link 2]; absent = captured by the NIC MAC capture step'),
  ssh: z
    .strictObject({
      host: z.union([z.literal(''), hostName]).default(''),
      port: z.number().int().min(1).max(65535).default(22),
      user: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'not a user name (e.g. root)')
        .default('root'),
      hostKey: z
        .string()
        .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'not a SHA256 fingerprint (e.g. SHA256:abc...)')
        .optional()
        .describe('pinned host key fingerprint'),
      password: secret.optional().describe('root password; absent = key/agent auth or prompt'),
      privateKey: oneLine
        .min(1)
        .regex(/^(\/|~\/)/, 'must be an absolute path (or ~/...) to a private key file on this machine')
        .refine((s) => !/(^|\/)\.\.(\/|$)/.test(s), 'must not have ".." in it: write the plain path')
        .optional()
        .describe('path to a private key file'),
    })
    .prefault({}),
});

/** The value of a fence agent attribute: one line of text, a number or true/false (null: refused in checks.ts). */
const fenceAttrValue = z.union([oneLine, z.number().finite(), z.boolean(), z.null()], {
  error: 'a fence agent attribute is one value: text on one line, a number or true/false',
});

const fenceDevice = z
  .object({
    name: shortName,
    agent: z.string().regex(/^fence_[a-z0-9_]+$/, 'must be a fence agent name like fence_ipmilan'),
  })
  .catchall(fenceAttrValue)
  .describe('a <fencedevice>: name, agent, and the agent attributes (ipaddr, login, passwd, ...)');

const fenceMethod = z.strictObject({
  name: shortName,
  devices: z
    .array(
      z.strictObject({
        device: shortName,
        // NOTE: an outlet number (PDU outlets count from 1, the tutorial's ports 1 and 2) or a name
        // (fence_virsh's domain); the agent reads it as an option value, so never one that starts with "-".
        port: z
          .union(
            [
              whole(1),
              z
                .string()
                .regex(
                  /^[A-Za-z0-9_.:][A-Za-z0-9_.:@/-]{0,62}$/,
                  'a port is an outlet number from 1 or a name (letters, digits, "_.:-"), not starting with "-"',
                ),
            ],
            { error: 'a port is an outlet number from 1 or a name' },
          )
          .optional(),
        action: z.enum(['reboot', 'off', 'on']).default('reboot'),
      }),
    )
    .min(1, 'a method needs at least one device'),
});

const drbdResource = z.strictObject({
  name: shortName,
  device: z.string().regex(/^\/dev\/drbd\d+$/, 'must be /dev/drbdN'),
  partition: z.string().regex(/^\/dev\/[a-z]+\d+$/, 'must be a partition like /dev/sda5'),
  size: z.union([
    z.literal('rest'),
    z.string().regex(SIZE_RE, 'must be a parted size like 20GB or "rest"').refine(aboveZero, 'must be above zero'),
  ]),
  port: z.number().int().min(1024).max(65535),
  vg: name,
  primary: shortName.optional().describe('node whose VMs live on this resource'),
});

const vmSchema = z.strictObject({
  name: vmName,
  node: shortName,
  lv: name,
  size: z
    .string()
    .regex(LV_SIZE_RE, 'must be an lvcreate size like 150G or 100%FREE')
    .refine(aboveZero, 'must be above zero'),
  // NOTE: MiB; 4 TiB is far above what an EL6 host can give a guest, and far below a wrapped number.
  ram: whole(1, 4 * 1024 * 1024),
  // NOTE: qemu-kvm on EL6 runs at most 160 vCPUs per guest (RHEL 6 virtualization limits).
  vcpus: whole(1, 160),
  os: z.strictObject({ type: shortName, variant: shortName }),
  diskBus: shortName.optional(),
  arch: shortName.default('x86_64'),
  install: z
    .strictObject({
      // NOTE: virt-install --location: a URL the node fetches (http, https, ftp, nfs) or a path on the node.
      location: z
        .string()
        .regex(
          /^((https?|ftp):\/\/[^\s'"`$\\;&|<>]+|nfs:[^\s'"`$\\;&|<>]+|\/[^\s'"`$\\;&|<>,]*)$/,
          'must be an http://, https://, ftp:// or nfs: URL, or an absolute path on the node, without spaces or shell characters',
        )
        .optional(),
      extraArgs: oneLine.optional(),
      cdrom: nodeFile.optional(),
      floppy: nodeFile.optional(),
    })
    .refine((i) => !!(i.location || i.cdrom), 'needs install.location (network install) or install.cdrom'),
});

export const answersSchema = z.strictObject({
  cluster: z.strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,16}$/, 'cluster name: up to 16 letters, digits, "-" or "_" (GFS2 lock table limit)'),
    domain: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, 'not a DNS domain')
      .refine(dnsLengthsOk, DNS_LENGTHS),
    postJoinDelay: z.number().int().min(0).max(3600).default(30),
    totem: z
      .strictObject({
        rrpMode: z.enum(['none', 'active', 'passive']).default('none'),
        secauth: z.enum(['on', 'off']).default('off'),
      })
      .prefault({}),
  }),
  networks: z.strictObject({
    bcn: z.strictObject({ cidr }),
    sn: z.strictObject({ cidr }),
    ifn: z.strictObject({
      cidr,
      gateway: ipv4.optional(),
      dns: z.array(ipv4).default([]),
      // NOTE: a Linux interface name is at most 15 characters (IFNAMSIZ 16, include/uapi/linux/if.h).
      bridge: name.max(15, 'an interface name is at most 15 characters (like vbr2)').default('vbr2'),
    }),
    bonding: z
      .strictObject({
        mode: z
          .number()
          .int()
          .min(0, 'bonding mode is 0 to 6 (the tutorial uses 1, active-backup)')
          .max(6, 'bonding mode is 0 to 6 (the tutorial uses 1, active-backup)')
          .default(1),
        miimon: z.number().int().min(0).max(60000).default(100),
        useCarrier: z.number().int().min(0).max(1).default(1),
        updelay: z.number().int().min(0).max(3_600_000).default(120000),
        downdelay: z.number().int().min(0).max(3_600_000).default(0),
      })
      .prefault({}),
  }),
  nodes: z.array(nodeSchema),
  extraHosts: z
    .array(z.strictObject({ comment: oneLine.optional(), ip: ipv4, names: z.array(hostName).min(1) }))
    .default([]),
  fencing: z.strictObject({
    devices: z.array(fenceDevice).min(1, 'at least one fence device is required'),
    methods: z.record(z.string(), z.array(fenceMethod)),
  }),
  ricci: z.strictObject({ password: secret.optional() }).prefault({}),
  ntp: z.strictObject({ server: hostName }),
  security: z
    .strictObject({
      selinux: z.enum(['disabled', 'permissive', 'enforcing']).default('disabled'),
      firewall: z.enum(['disabled', 'enabled']).default('disabled'),
    })
    .prefault({}),
  storage: z.strictObject({
    disk: nodeFile,
    drbd: z
      .strictObject({
        source: z.enum(['elrepo', 'linbit', 'source']).default('elrepo'),
        fenceHandler: z
          .enum(FENCE_HANDLERS)
          .optional()
          .describe(
            "DRBD's fence-peer handler: rhcs_fence (default: delays by node ID, so one storage network failure fences one node) or obliterate-peer (the tutorial's: both nodes fence at once)",
          ),
        fencePeer: nodeFile.optional().describe('where the fence-peer handler is installed (default by fenceHandler)'),
        wfcTimeout: whole(0).default(300),
        degrWfcTimeout: whole(0).default(120),
        linbitHash: z
          .string()
          .regex(
            /^[A-Za-z0-9_-]{1,128}$/,
            'the hash from the LINBIT repository URL: letters and digits only, on one line',
          )
          .optional()
          .describe('URL hash for the LINBIT repository (source: linbit)'),
      })
      .superRefine((d, ctx) => {
        const named = d.fencePeer ? handlerOfPath(d.fencePeer) : undefined;
        if (d.fenceHandler && named && named !== d.fenceHandler)
          ctx.addIssue({
            code: 'custom',
            path: ['fencePeer'],
            message: `${d.fencePeer} is the ${named} handler but fenceHandler is ${d.fenceHandler}`,
          });
      })
      // NOTE: the contract's `fencePeer: /sbin/obliterate-peer.sh` keeps the tutorial's handler; with
      // neither key the default is rhcs_fence (issue 16 point 5: its delay by node ID keeps node 1 up).
      .transform((d) => {
        const fenceHandler = d.fenceHandler ?? (d.fencePeer ? handlerOfPath(d.fencePeer) : undefined) ?? 'rhcs_fence';
        return { ...d, fenceHandler, fencePeer: d.fencePeer ?? FENCE_HANDLER_PATHS[fenceHandler] };
      })
      .prefault({}),
    freeStart: z
      .string()
      .regex(SIZE_RE, 'must be a parted position like 47.5GB')
      .optional()
      .describe('start of the free space on the disk (parted `print free`); absent = probed on the node'),
    resources: z.array(drbdResource).min(1),
    gfs2: z.strictObject({
      vg: name,
      lv: name,
      mount: absPath,
      journals: z.number().int().min(1).max(64).default(2),
      dirs: z.array(shortName).default(['definitions', 'provision', 'archive', 'files']),
    }),
  }),
  vms: z.array(vmSchema).default([]),
  vmService: z
    .strictObject({
      autostart: z.number().int().min(0).max(1).default(0),
      exclusive: z.number().int().min(0).max(1).default(0),
      recovery: z.enum(['restart', 'relocate', 'disable']).default('restart'),
      maxRestarts: whole(0).default(2),
      restartExpireTime: whole(0).default(600),
    })
    .prefault({}),
});

/** Validated answers, with defaults applied. */
export type Answers = z.output<typeof answersSchema>;
/** One node's answers. */
export type NodeAnswers = Answers['nodes'][number];
/** One DRBD resource's answers. */
export type ResourceAnswers = Answers['storage']['resources'][number];
/** One VM's answers. */
export type VmAnswers = Answers['vms'][number];
/** A `<fencedevice>` entry: name, agent and free-form agent attributes. */
export type FenceDeviceAnswers = Answers['fencing']['devices'][number] & Record<string, unknown>;

/** Attribute names of fence devices that hold secrets (masked everywhere but on the node). */
export const SECRET_FENCE_ATTRS = ['passwd', 'password', 'community', 'snmp_priv_passwd'];
