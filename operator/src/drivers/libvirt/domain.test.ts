import { expect } from 'chai';
import { cpuTopology, domainXml, renderXml, type DomainSpec } from './domain.ts';

const UUID = '6f1c3b8e-0000-4000-8000-000000000001';

function spec(overrides: Partial<DomainSpec> = {}): DomainSpec {
  return {
    name: `kova-${UUID}`,
    uuid: UUID,
    displayName: 'web <1>',
    key: 'demo/web',
    virtType: 'qemu',
    flavor: { name: 'm1.tiny', vcpus: 2, ram: 256, disk: 1, ephemeral: 0, swap: 0 },
    imageProperties: {},
    root: {
      path: `/var/lib/kova/instances/${UUID}/disk`,
      format: 'qcow2',
      backing: { path: '/b/base', format: 'raw' },
    },
    consoleLog: `/var/lib/kova/instances/${UUID}/console.log`,
    mac: 'fa:16:3e:00:00:01',
    ...overrides,
  };
}

describe('libvirt domain XML (nova/virt/libvirt/driver.py _get_guest_config)', () => {
  it('takes vCPUs, memory, name and uuid from the flavor copy and the instance; type qemu without KVM', () => {
    const xml = domainXml(spec());
    expect(xml).to.match(/^<domain type="qemu">/);
    expect(xml).to.include('<vcpu placement="static">2</vcpu>');
    expect(xml).to.include('<memory unit="MiB">256</memory>');
    expect(xml).to.include(`<uuid>${UUID}</uuid>`);
    expect(xml).to.include('<title>web &lt;1&gt;</title>');
    expect(xml).to.include('<kova:flavor name="m1.tiny">');
  });

  it('puts the root disk first on virtio (vda) as a qcow2 overlay on its pinned, unrelabelled base', () => {
    const xml = domainXml(spec());
    expect(xml).to.match(/<target dev="vda" bus="virtio"\/>\s*<boot order="1"\/>/);
    expect(xml).to.include('<source file="/b/base">');
    expect(xml).to.include('<seclabel model="dac" relabel="no"/>');
  });

  it('adds ephemeral and swap disks in Nova order and the config drive as a CD-ROM (hdd on IDE for pc)', () => {
    const xml = domainXml(
      spec({
        ephemeral: { path: '/d/disk.eph0', format: 'qcow2' },
        swap: { path: '/d/disk.swap', format: 'qcow2' },
        configDrive: '/d/disk.config',
      }),
    );
    expect(xml.indexOf('disk.eph0')).to.be.lessThan(xml.indexOf('disk.swap'));
    expect(xml).to.match(/disk\.eph0"\/>\s*<target dev="vdb"/);
    expect(xml).to.match(/disk\.swap"\/>\s*<target dev="vdc"/);
    expect(xml).to.match(
      /device="cdrom"[\s\S]*disk\.config"\/>\s*<target dev="hdd" bus="ide"\/>\s*<readonly\/>/,
    );
  });

  it('reads hw_disk_bus, hw_cdrom_bus, hw_machine_type, hw_vif_model, hw_video_model and hw_qemu_guest_agent', () => {
    const xml = domainXml(
      spec({
        configDrive: '/d/disk.config',
        imageProperties: {
          hw_disk_bus: 'sata',
          hw_machine_type: 'q35',
          hw_vif_model: 'e1000',
          hw_video_model: 'virtio',
          hw_qemu_guest_agent: 'yes',
        },
      }),
    );
    expect(xml).to.include('machine="q35"');
    expect(xml).to.include('<target dev="sda" bus="sata"/>');
    expect(xml).to.include('<target dev="sdb" bus="sata"/>'); // the CD-ROM on q35's SATA
    expect(xml).to.include('<model type="e1000"/>');
    expect(xml).to.include('<model type="virtio"/>');
    expect(xml).to.include('org.qemu.guest_agent.0');
  });

  it('boots a kernel and ramdisk directly with os_command_line (an AMI with kernel_id/ramdisk_id)', () => {
    const xml = domainXml(
      spec({ kernel: '/b/k', ramdisk: '/b/r', imageProperties: { os_command_line: 'console=ttyS0 quiet' } }),
    );
    expect(xml).to.include('<kernel>/b/k</kernel>');
    expect(xml).to.include('<initrd>/b/r</initrd>');
    expect(xml).to.include('<cmdline>console=ttyS0 quiet</cmdline>');
  });

  it('logs the serial console to the instance folder', () => {
    expect(domainXml(spec())).to.match(/<serial type="pty">\s*<log file="[^"]+console\.log" append="on"\/>/);
  });

  it('boots a rescue disk first and keeps the instance root as the second disk', () => {
    const xml = domainXml(spec({ rescue: { path: '/d/disk.rescue', format: 'qcow2' } }));
    expect(xml).to.match(/disk\.rescue"\/>\s*<target dev="vda" bus="virtio"\/>\s*<boot order="1"\/>/);
    expect(xml).to.match(/\/disk"\/>[\s\S]*<target dev="vdb" bus="virtio"\/>/);
    expect(xml).to.include('<kova:rescue>true</kova:rescue>');
  });

  it('refuses an image property it cannot honour, naming it', () => {
    expect(() => domainXml(spec({ imageProperties: { hw_disk_bus: 'floppy' } }))).to.throw(
      /hw_disk_bus=floppy/,
    );
    expect(() => domainXml(spec({ imageProperties: { hw_cpu_sockets: '3' } }))).to.throw(
      /cannot fit 2 vCPUs/,
    );
  });

  it('fills in the vCPU topology from hw_cpu_sockets/cores/threads', () => {
    expect(cpuTopology(4, {})).to.equal(undefined);
    expect(cpuTopology(4, { hw_cpu_sockets: '2' })).to.deep.equal({ sockets: 2, cores: 2, threads: 1 });
    expect(cpuTopology(8, { hw_cpu_threads: '2', hw_cpu_cores: '2' })).to.deep.equal({
      sockets: 2,
      cores: 2,
      threads: 2,
    });
    expect(domainXml(spec({ imageProperties: { hw_cpu_sockets: '2' } }))).to.include(
      '<topology sockets="2" dies="1" cores="1" threads="1"/>',
    );
  });

  it('escapes attribute and text values', () => {
    expect(renderXml({ name: 'a', attrs: { x: '"&' }, children: ['<b>'] })).to.equal(
      '<a x="&quot;&amp;">&lt;b&gt;</a>',
    );
  });
});
