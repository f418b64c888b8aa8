// The admin views as Nova shapes them: aggregates (uuid from 2.41, zone in the metadata,
// updated_at from the last spec write), hosts' zones, service uuids, hypervisors' figures and the
// 2.88 trimming.
import { expect } from 'chai';
import type { FastifyRequest } from 'fastify';
import type { Aggregate, ComputeHost, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { APIVersionRequest } from '../microversion.ts';
import { aggregateView, zonesOfHosts } from './aggregates.ts';
import { serviceUuid } from './hosts.ts';
import { hypervisorView, nodeFigures } from './hypervisors.ts';

const at = (v: string) => ({ microversion: APIVersionRequest.parse(v) }) as unknown as FastifyRequest;

const aggregate = (
  name: string,
  spec: Partial<Aggregate['spec']>,
  managedFields: unknown[] = [],
): Aggregate => ({
  apiVersion: 'compute.kova.io/v1alpha1',
  kind: 'Aggregate',
  metadata: { name, uid: `uid-${name}`, creationTimestamp: '2026-01-02T03:04:05Z', managedFields },
  spec: { name, ...spec },
  status: { id: 7 },
});

const host: ComputeHost = {
  apiVersion: 'compute.kova.io/v1alpha1',
  kind: 'ComputeHost',
  metadata: { name: 'node-1', uid: '0f0e0d0c-0b0a-4908-8706-050403020100' },
  spec: { disabled: true, disabledReason: 'maintenance', forcedDown: false, reservedHostMemoryMb: 512 },
  status: {
    state: 'up',
    hypervisorType: 'fake',
    capacity: { vcpus: 8, memoryMb: 8192, localGb: 100 },
    usage: { vcpus: 2, memoryMb: 1024, localGb: 10, runningVms: 2 },
    cpuInfo: { arch: 'x86_64' },
  },
};

describe('admin views', () => {
  it('an aggregate shows its zone as availability_zone and in metadata; uuid only from 2.41', () => {
    const a = aggregate('agg', { availabilityZone: 'az1', hosts: ['h1'], metadata: { ssd: 'true' } });
    const v21 = aggregateView(a, at('2.1'));
    expect(v21).to.deep.equal({
      availability_zone: 'az1',
      created_at: '2026-01-02T03:04:05.000000',
      deleted: false,
      deleted_at: null,
      id: 7,
      name: 'agg',
      updated_at: null,
      hosts: ['h1'],
      metadata: { ssd: 'true', availability_zone: 'az1' },
    });
    expect(aggregateView(a, at('2.41'))).to.have.property('uuid', 'uid-agg');
    expect(aggregateView(a, at('2.41'), false)).to.not.have.any.keys('hosts', 'metadata');
  });

  it("updated_at is the last write to the spec after creation, not the operator's status write", () => {
    const a = aggregate('agg', {}, [
      { manager: 'gw', time: '2026-01-02T03:04:05Z' },
      { manager: 'op', subresource: 'status', time: '2026-01-02T05:00:00Z' },
      { manager: 'gw2', time: '2026-01-02T04:00:00Z' },
    ]);
    expect(aggregateView(a, at('2.1')).updated_at).to.equal('2026-01-02T04:00:00.000000');
  });

  it('a host is in the zone of its first zoned aggregate; hosts in none are absent', () => {
    const zones = zonesOfHosts([
      aggregate('plain', { hosts: ['h1', 'h2'] }),
      aggregate('z', { availabilityZone: 'az1', hosts: ['h2'] }),
    ]);
    expect([...zones]).to.deep.equal([['h2', 'az1']]);
  });

  it('the service uuid is a stable name-based uuid distinct from the host uid', () => {
    const u = serviceUuid(host);
    expect(u).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(u).to.equal(serviceUuid(structuredClone(host)));
    expect(u).to.not.equal(host.metadata.uid);
  });

  it('figures count reserved memory as used and servers with a task as workload', () => {
    const busy = { metadata: { name: 's' }, spec: {}, status: { host: 'node-1', taskState: 'rebooting' } };
    const f = nodeFigures(host, [busy as unknown as Server]);
    expect(f).to.include({
      vcpus: 8,
      vcpus_used: 2,
      memory_mb_used: 1536,
      free_ram_mb: 6656,
      current_workload: 1,
    });
  });

  it('detail has the figures and cpu_info (a string before 2.28) up to 2.87; 2.88 trims them and adds uptime', () => {
    const v21 = hypervisorView(host, at('2.1'), { detail: true, allServers: [] });
    expect(v21).to.include({ status: 'disabled', state: 'up', vcpus: 8, cpu_info: '{"arch":"x86_64"}' });
    expect(v21.service).to.deep.include({ host: 'node-1', disabled_reason: 'maintenance' });
    expect(typeof v21.id).to.equal('number');
    const v253 = hypervisorView(host, at('2.53'), { detail: true, allServers: [] });
    expect(v253.id).to.equal(host.metadata.uid);
    expect(v253.cpu_info).to.deep.equal({ arch: 'x86_64' });
    const v288 = hypervisorView(host, at('2.88'), { detail: true, allServers: [] });
    expect(v288).to.not.have.any.keys('vcpus', 'memory_mb', 'cpu_info', 'running_vms');
    expect(v288).to.have.property('uptime', null);
    expect(
      hypervisorView(host, at('2.75'), { detail: false, allServers: [], withServers: true }).servers,
    ).to.deep.equal([]);
  });
});
