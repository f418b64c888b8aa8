// The tiny guest the libvirt tests boot, built from Debian packages only (never the internet):
// the kernel of linux-image-amd64 and an initramfs of busybox-static whose /init loads the few
// modules it needs, prints a boot marker, answers the ACPI power button (busybox acpid, so a
// clean shutdown works), mounts the config drive (label config-2) and prints the server's name,
// hostname and key fingerprint it read there. Built once per kernel and script version, cached
// under ~/.cache/kova/guest-<hash>/.
//
// How an Image refers to it (Nova's AMI model): the root image is a 1 MiB raw disk whose
// properties kernel_id and ramdisk_id name two more Images (disk formats aki and ari) holding the
// kernel and the initramfs; the libvirt driver boots them directly with os_command_line.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What /init prints once the kernel has handed over. */
export const BOOT_MARKER = 'KOVA-GUEST-BOOTED';

const MODULES = ['virtio_pci', 'virtio_blk', 'ata_piix', 'sr_mod', 'isofs', 'button', 'evdev'];

const INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /mnt /tmp /etc/acpi/PWRF
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin
for m in $(cat /modules.order); do insmod /lib/modules/$m 2>/dev/null; done
cat > /etc/acpi/PWRF/00000080 <<'EOS'
#!/bin/sh
echo "kova-guest: power button: shutting down" > /dev/console
sync
poweroff -f
EOS
chmod +x /etc/acpi/PWRF/00000080
acpid -f -c /etc/acpi -l /dev/null &
echo "${BOOT_MARKER}"
dev=""
for i in $(seq 1 100); do dev=$(findfs LABEL=config-2 2>/dev/null) && break; sleep 0.1; done
if [ -n "$dev" ] && mount -t iso9660 -o ro "$dev" /mnt; then
  meta=/mnt/openstack/latest/meta_data.json
  name=$(sed -n 's/^  "name": "\\(.*\\)",$/\\1/p' $meta)
  host=$(sed -n 's/^  "hostname": "\\(.*\\)",$/\\1/p' $meta)
  key=$(sed -n 's/^ *"data": "\\(.*\\)"$/\\1/p' $meta | head -n 1)
  hostname "$host"
  echo "kova-guest: name=$name"
  echo "kova-guest: hostname=$host"
  if [ -n "$key" ]; then
    fp=$(echo "$key" | cut -d' ' -f2 | base64 -d | md5sum | cut -d' ' -f1 | sed 's/../&:/g; s/:$//')
    echo "kova-guest: key-fingerprint=$fp"
  fi
else
  echo "kova-guest: no config drive"
fi
while true; do sleep 3600; done
`;

export interface TinyGuest {
  kernel: string;
  initramfs: string;
  /** An empty 1 MiB raw root disk (the AMI). */
  root: string;
  cmdline: string;
}

function kernelVersion(): string {
  const v = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort()
    .pop();
  if (!v) throw new Error('no kernel in /boot: install linux-image-amd64');
  return v.slice('vmlinuz-'.length);
}

/** Modules in load order (dependencies first), from modules.dep. */
function moduleOrder(version: string): string[] {
  const dep = new Map<string, string[]>();
  for (const line of readFileSync(`/usr/lib/modules/${version}/modules.dep`, 'utf8').split('\n')) {
    const [mod, deps] = line.split(':');
    if (mod) dep.set(mod, (deps ?? '').trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map(
    [...dep.keys()].map((p) => [
      p
        .split('/')
        .pop()!
        .replace(/\.ko.*$/, ''),
      p,
    ]),
  );
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) return;
    for (const d of dep.get(path) ?? []) visit(d);
    order.push(path);
  };
  for (const m of MODULES) {
    const path = byName.get(m);
    if (path) visit(path); // built into the kernel when absent
  }
  return order;
}

export function buildTinyGuest(cacheRoot = join(homedir(), '.cache', 'kova')): TinyGuest {
  const version = kernelVersion();
  const hash = createHash('sha256')
    .update(version)
    .update(INIT)
    .update(MODULES.join())
    .digest('hex')
    .slice(0, 12);
  const dir = join(cacheRoot, `guest-${hash}`);
  const guest: TinyGuest = {
    kernel: join(dir, 'vmlinuz'),
    initramfs: join(dir, 'initramfs.gz'),
    root: join(dir, 'root.raw'),
    cmdline: 'console=ttyS0 quiet loglevel=3',
  };
  if (existsSync(join(dir, 'done'))) return guest;
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const tree = join(work, 'tree');
  for (const d of ['bin', 'lib/modules']) mkdirSync(join(tree, d), { recursive: true });
  copyFileSync('/bin/busybox', join(tree, 'bin/busybox'));
  const order = moduleOrder(version);
  for (const m of order) {
    const src = `/usr/lib/modules/${version}/${m}`;
    if (m.endsWith('.xz'))
      execFileSync('sh', [
        '-c',
        `xz -dc '${src}' > '${join(tree, 'lib/modules', m.split('/').pop()!.replace(/\.xz$/, ''))}'`,
      ]);
    else copyFileSync(src, join(tree, 'lib/modules', m.split('/').pop()!));
  }
  writeFileSync(
    join(tree, 'modules.order'),
    order.map((m) => m.split('/').pop()!.replace(/\.xz$/, '')).join('\n') + '\n',
  );
  writeFileSync(join(tree, 'init'), INIT);
  chmodSync(join(tree, 'init'), 0o755);
  execFileSync('sh', [
    '-c',
    `cd '${tree}' && find . | cpio -o -H newc --quiet | gzip -1 > '${join(work, 'initramfs.gz')}'`,
  ]);
  copyFileSync(`/boot/vmlinuz-${version}`, join(work, 'vmlinuz'));
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', join(work, 'root.raw'), '1M']);
  rmSync(tree, { recursive: true, force: true });
  for (const f of ['vmlinuz', 'initramfs.gz', 'root.raw']) chmodSync(join(work, f), 0o644);
  writeFileSync(join(work, 'done'), '');
  mkdirSync(cacheRoot, { recursive: true });
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another process built it first
  }
  return guest;
}
