// The config drive (nova/virt/configdrive.py, nova/api/metadata/base.py): an ISO 9660 image
// labelled config-2 holding the OpenStack metadata, read by cloud-init (or any guest) without a
// metadata service. The content is a pure function of the instance; the ISO is written by xorriso
// in genisoimage mode with Nova's own flags.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ConfigDriveKey {
  name: string;
  type: 'ssh' | 'x509';
  data: string;
}

export interface ConfigDriveInput {
  uuid: string;
  name: string;
  hostname: string;
  /** The Server's namespace (Nova's project). */
  projectId: string;
  availabilityZone?: string;
  metadata?: Record<string, string>;
  key?: ConfigDriveKey;
  /** Base64, as the API takes it. */
  userData?: string;
  mac: string;
}

/** The files of the drive, by path inside it. */
export function configDriveFiles(i: ConfigDriveInput): Record<string, string> {
  const meta = {
    uuid: i.uuid,
    name: i.name,
    hostname: i.hostname,
    launch_index: 0,
    availability_zone: i.availabilityZone ?? 'nova',
    project_id: i.projectId,
    meta: i.metadata ?? {},
    ...(i.key
      ? {
          public_keys: { [i.key.name]: i.key.data },
          keys: [{ name: i.key.name, type: i.key.type, data: i.key.data }],
        }
      : {}),
    devices: [],
  };
  const network = {
    links: [{ id: 'tap0', type: 'phy', ethernet_mac_address: i.mac, mtu: 1500 }],
    networks: [{ id: 'network0', type: 'ipv4_dhcp', link: 'tap0', network_id: 'private' }],
    services: [],
  };
  const files: Record<string, string> = {};
  // Nova writes every supported version; a guest reads the newest it knows, or latest.
  for (const v of ['2018-08-27', 'latest']) {
    files[`openstack/${v}/meta_data.json`] = JSON.stringify(meta, null, 2) + '\n';
    files[`openstack/${v}/network_data.json`] = JSON.stringify(network, null, 2) + '\n';
    files[`openstack/${v}/vendor_data.json`] = '{}\n';
    files[`openstack/${v}/vendor_data2.json`] = '{}\n';
    if (i.userData) files[`openstack/${v}/user_data`] = Buffer.from(i.userData, 'base64').toString('latin1');
  }
  return files;
}

/** Writes the ISO to `out` (whole or not at all: built beside it, then renamed). */
export async function buildConfigDrive(out: string, files: Record<string, string>): Promise<void> {
  const tree = await mkdtemp(join(dirname(out), '.configdrive-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(tree, path)), { recursive: true });
      await writeFile(join(tree, path), content, 'latin1');
    }
    const tmp = `${out}.tmp`;
    await run('xorriso', [
      '-as',
      'genisoimage',
      '-o',
      tmp,
      '-ldots',
      '-allow-lowercase',
      '-allow-multidot',
      '-l',
      '-publisher',
      'Kova',
      '-quiet',
      '-J',
      '-r',
      '-V',
      'config-2',
      tree,
    ]);
    await rename(tmp, out);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}
