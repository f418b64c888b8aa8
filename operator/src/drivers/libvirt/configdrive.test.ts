import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfigDrive, configDriveFiles, type ConfigDriveInput } from './configdrive.ts';
import { guestHostname } from '../../compute/hostname.ts';

const input: ConfigDriveInput = {
  uuid: '6f1c3b8e-0000-4000-8000-000000000001',
  name: 'Web Server_1',
  hostname: 'web-server-1',
  projectId: 'demo',
  metadata: { role: 'web' },
  key: { name: 'mykey', type: 'ssh', data: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB me@host' },
  userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
  mac: 'fa:16:3e:00:00:01',
};

describe('libvirt config drive (nova/virt/configdrive.py, OpenStack metadata format)', () => {
  it('writes meta_data.json with uuid, name, hostname, keys and metadata; user_data decoded; network_data.json', () => {
    const files = configDriveFiles(input);
    const meta = JSON.parse(files['openstack/latest/meta_data.json']!) as Record<string, unknown>;
    expect(meta).to.include({
      uuid: input.uuid,
      name: 'Web Server_1',
      hostname: 'web-server-1',
      project_id: 'demo',
    });
    expect(meta.public_keys).to.deep.equal({ mykey: input.key!.data });
    expect(meta.keys).to.deep.equal([{ name: 'mykey', type: 'ssh', data: input.key!.data }]);
    expect(meta.meta).to.deep.equal({ role: 'web' });
    expect(files['openstack/latest/user_data']).to.equal('#!/bin/sh\necho hi\n');
    const net = JSON.parse(files['openstack/latest/network_data.json']!) as {
      links: { ethernet_mac_address: string }[];
    };
    expect(net.links[0]!.ethernet_mac_address).to.equal('fa:16:3e:00:00:01');
    expect(files).to.have.property('openstack/2018-08-27/meta_data.json');
  });

  it('leaves keys and user_data out when the server has none', () => {
    const files = configDriveFiles({ ...input, key: undefined, userData: undefined });
    expect(JSON.parse(files['openstack/latest/meta_data.json']!)).not.to.have.property('public_keys');
    expect(files).not.to.have.property('openstack/latest/user_data');
  });

  it('derives a hostname from the display name as Nova sanitizes it', () => {
    expect(guestHostname('Web Server_1')).to.equal('web-server-1');
    expect(guestHostname('..a$b..')).to.equal('ab');
    expect(guestHostname('***')).to.equal('server');
  });

  it('builds an ISO 9660 image labelled config-2 with xorriso that reads back the same files', async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(join(tmpdir(), 'kova-cd-'));
    try {
      const iso = join(dir, 'disk.config');
      await buildConfigDrive(iso, configDriveFiles(input));
      const header = readFileSync(iso)
        .subarray(0x8000, 0x8000 + 80)
        .toString('latin1');
      expect(header.slice(1, 6)).to.equal('CD001');
      expect(header.slice(40, 48)).to.equal('config-2');
      const out = join(dir, 'out');
      execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out], { stdio: 'ignore' });
      const meta = JSON.parse(readFileSync(join(out, 'openstack/latest/meta_data.json'), 'utf8')) as {
        uuid: string;
      };
      expect(meta.uuid).to.equal(input.uuid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
