// The pure parts of the server sub-resources: tag checks, the NUMA topology from flavor extra
// specs, diagnostics views, external event codes, console refusals and migration records.
import { expect } from 'chai';
import type { Image, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVER_UID, activeServer, apiErrorOf } from './testdata.ts';
import { backupsToRotate } from './backup.ts';
import { consoleRefusal } from './consoles.ts';
import { diagnosticsView, legacyDiagnostics } from './diagnostics.ts';
import { eventResults } from './events.ts';
import { migrationStatus, migrationsOf } from './migrations.ts';
import { checkTagName, checkTagWritable } from './tags.ts';
import { pageSizeKb, parseCpuSet, topologyView } from './topology.ts';

const action = (
  name: string,
  kind: ServerAction['spec']['action'],
  at: string,
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed',
  host?: string,
  flavorRef?: string,
): ServerAction =>
  ({
    apiVersion: 'compute.kova.io/v1alpha1',
    kind: 'ServerAction',
    metadata: { name, namespace: 'proj-a', uid: `uid-${name}`, creationTimestamp: at },
    spec: {
      server: 'web-abcde',
      action: kind,
      admin: true,
      ...(flavorRef ? { parameters: { flavorRef } } : {}),
    },
    status: {
      phase,
      startTime: at,
      ...(phase === 'Succeeded' || phase === 'Failed' ? { finishTime: at } : {}),
      events: host ? [{ event: 'e', startTime: at, host }] : [],
    },
  }) as ServerAction;

describe('Server sub-resources: views and checks as Nova answers', () => {
  it('tags: a tag with "/" or "," or too long is 400 with Nova message; writes need active/paused/suspended/stopped', () => {
    expect(() => checkTagName('ok-tag')).to.not.throw();
    const e = apiErrorOf(() => checkTagName('a/b'));
    expect(e.code).to.equal(400);
    expect(e.message).to.match(
      /^Tag 'a\/b' is invalid\. It must be a non empty string without characters '\/' and ','\. Validation error message: /,
    );
    expect(apiErrorOf(() => checkTagName('x'.repeat(61))).code).to.equal(400);
    const s = activeServer();
    expect(() => checkTagWritable(s, 'update tag')).to.not.throw();
    s.status!.vmState = 'shelved_offloaded';
    expect(apiErrorOf(() => checkTagWritable(s, 'update tag')).message).to.equal(
      `Cannot 'update tag' instance ${SERVER_UID} while it is in vm_state shelved_offloaded`,
    );
  });

  it('topology: none without NUMA extra specs; hw:numa_cpus.N / hw:numa_mem.N; dedicated threads make siblings', () => {
    const flavor = activeServer().status!.flavor!;
    expect(topologyView({ ...flavor, extraSpecs: {} }, true)).to.deep.equal({ nodes: [], pagesize_kb: null });
    expect(parseCpuSet('0-3,^2,5')).to.deep.equal([0, 1, 3, 5]);
    expect([pageSizeKb('small'), pageSizeKb('1GB'), pageSizeKb('2048'), pageSizeKb(undefined)]).to.deep.equal(
      [4, 1024 * 1024, 2048, null],
    );
    const manual = topologyView(
      {
        ...flavor,
        vcpus: 3,
        ram: 3072,
        extraSpecs: {
          'hw:numa_nodes': '2',
          'hw:numa_cpus.0': '0',
          'hw:numa_cpus.1': '1,2',
          'hw:numa_mem.0': '1024',
          'hw:numa_mem.1': '2048',
        },
      },
      false,
    );
    expect(manual.nodes).to.deep.equal([
      { vcpu_set: [0], siblings: [], memory_mb: 1024 },
      { vcpu_set: [1, 2], siblings: [], memory_mb: 2048 },
    ]);
    const pinned = topologyView(
      { ...flavor, vcpus: 4, extraSpecs: { 'hw:cpu_policy': 'dedicated', 'hw:cpu_threads': '2' } },
      true,
    );
    expect(pinned.nodes).to.deep.equal([
      {
        vcpu_set: [0, 1, 2, 3],
        siblings: [
          [0, 1],
          [2, 3],
        ],
        memory_mb: 2048,
        host_node: 0,
        cpu_pinning: {},
      },
    ]);
  });

  it('diagnostics: 2.48 fills every field (null when absent); the legacy dict uses libvirt key names', () => {
    const view = diagnosticsView({
      state: 'running',
      driver: 'fake',
      memory_details: { maximum: 512, used: null },
    });
    expect(view).to.deep.equal({
      state: 'running',
      driver: 'fake',
      hypervisor: null,
      hypervisor_os: null,
      uptime: null,
      config_drive: null,
      num_cpus: null,
      num_nics: null,
      num_disks: null,
      disk_details: [],
      cpu_details: [],
      nic_details: [],
      memory_details: { maximum: 512, used: null },
    });
    const legacy = legacyDiagnostics({
      cpu_details: [{ id: 0, time: 5, utilisation: null }],
      memory_details: { maximum: 512, used: 256 },
      disk_details: [
        { read_bytes: 1, read_requests: 2, write_bytes: 3, write_requests: 4, errors_count: null },
      ],
    });
    expect(legacy).to.deep.equal({
      cpu0_time: 5,
      memory: 512 * 1024,
      'memory-actual': 256 * 1024,
      vda_read: 1,
      vda_read_req: 2,
      vda_write: 3,
      vda_write_req: 4,
      vda_errors: -1,
    });
  });

  it('external events: 200 with a host, 404 unknown, 422 without host, 400 when a tag is required; 207 if any failed', () => {
    const placed = activeServer();
    const unplaced = activeServer();
    delete unplaced.status!.host;
    const servers: Record<string, typeof placed> = { a: placed, b: unplaced };
    const all = eventResults([{ server_uuid: 'a', name: 'network-changed' }], (u) => servers[u]);
    expect(all).to.deep.equal({
      code: 200,
      events: [{ server_uuid: 'a', name: 'network-changed', status: 'completed', code: 200 }],
    });
    const mixed = eventResults(
      [
        { server_uuid: 'x', name: 'network-changed' },
        { server_uuid: 'b', name: 'network-changed' },
        { server_uuid: 'a', name: 'volume-extended' },
        { server_uuid: 'a', name: 'volume-extended', tag: 'vol' },
      ],
      (u) => servers[u],
    );
    expect(mixed.code).to.equal(207);
    expect(mixed.events.map((e) => e.code)).to.deep.equal([404, 422, 400, 200]);
  });

  it('consoles: no host → 409 not ready; migrating → 409; else 400 Unavailable console type', () => {
    const s = activeServer();
    expect(consoleRefusal(s, 'novnc')).to.include({ code: 400, message: 'Unavailable console type novnc.' });
    s.status!.taskState = 'migrating';
    expect(consoleRefusal(s, 'novnc').code).to.equal(409);
    delete s.status!.host;
    expect(consoleRefusal(s, 'serial').message).to.equal(`Instance ${SERVER_UID} is not ready`);
  });

  it('migrations: statuses per move type and phase; a resize then confirmed, its flavors and hosts from the log', () => {
    const s = activeServer();
    const live = (phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed') =>
      migrationStatus(action('l', 'live-migration', '2026-11-24T11:00:00Z', phase), [], s);
    expect(['Pending', 'Running', 'Succeeded', 'Failed'].map((p) => live(p as 'Pending'))).to.deep.equal([
      'queued',
      'running',
      'completed',
      'failed',
    ]);
    const log = [
      action('create', 'create', '2026-11-24T10:00:00Z', 'Succeeded', 'node-1'),
      action('resize', 'resize', '2026-11-24T11:00:00Z', 'Succeeded', 'node-2', '3'),
      action('confirm', 'confirmResize', '2026-11-24T11:05:00Z', 'Succeeded', 'node-2'),
      action('evac', 'evacuate', '2026-11-24T12:00:00Z', 'Failed', 'node-1'),
    ];
    const records = migrationsOf(s, log, 'p1');
    expect(records.map((r) => [r.type, r.status])).to.deep.equal([
      ['resize', 'confirmed'],
      ['evacuation', 'failed'],
    ]);
    expect(records[0]).to.include({
      sourceCompute: 'node-1',
      destCompute: 'node-2',
      oldFlavor: 'm1.small',
      newFlavor: '3',
      uuid: 'uid-resize',
      projectId: 'p1',
    });
    expect(records[1]).to.include({ oldFlavor: '3', sourceCompute: 'node-2', destCompute: 'node-1' });
    const waiting = migrationsOf(
      { ...s, status: { ...s.status, migration: undefined } },
      log.slice(0, 2),
      'p1',
    );
    expect(waiting[0]!.status).to.equal('confirmed');
  });

  it('createBackup rotation: only backups of this server and type; the one just made first, then newest by time and write', () => {
    const image = (uid: string, at: string, rv: string, props: Record<string, string>): Image =>
      ({
        metadata: { name: uid, uid, creationTimestamp: at, resourceVersion: rv },
        spec: { name: uid, properties: props },
      }) as unknown as Image;
    const backup = { instance_uuid: SERVER_UID, image_type: 'backup', backup_type: 'daily' };
    const images = [
      image('old', '2026-11-24T10:00:00Z', '10', backup),
      image('same-second-a', '2026-11-24T11:00:00Z', '20', backup),
      image('same-second-b', '2026-11-24T11:00:00Z', '30', backup),
      image('new', '2026-11-24T11:00:00Z', '25', backup),
      image('weekly', '2026-11-24T09:00:00Z', '5', { ...backup, backup_type: 'weekly' }),
      image('snap', '2026-11-24T09:00:00Z', '6', { ...backup, image_type: 'snapshot' }),
    ];
    const doomed = (n: number) =>
      backupsToRotate(images, SERVER_UID, 'daily', n, 'new').map((i) => i.metadata.uid);
    expect(doomed(2)).to.deep.equal(['same-second-a', 'old']);
    expect(doomed(0)).to.deep.equal(['new', 'same-second-b', 'same-second-a', 'old']);
  });
});
