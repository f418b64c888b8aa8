// The openstack CLI (Debian's python3-openstackclient) as an admin: aggregate create / add host /
// set --property / show / delete, availability zone list, hypervisor list / show, compute
// service list / set --disable. The results are checked against the Aggregate and ComputeHost
// objects in Kubernetes.
import { expect } from 'chai';
import type { Aggregate, ComputeHost } from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from '../servers/testsuite.ts';

type Row = Record<string, unknown>;

describe('openstack CLI: aggregates, availability zones, hypervisors, compute services', function () {
  this.timeout(300_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let os: OpenStackCli;

  before(async () => {
    world = await startServersSuite();
    suite = world.suite;
    os = new OpenStackCli({ authUrl: world.gw.authUrl, user: 'admin', password: 'secret', project: 'admin' });
  });
  after(async () => {
    await world?.stop();
  });

  const aggregateNamed = async (name: string) =>
    (await suite.client.list<Aggregate>(collectionPath(AGGREGATES))).items.find((a) => a.spec.name === name);

  it('aggregate create, add host, set --property, show, delete', async () => {
    const created = await os.json<Row>(['aggregate', 'create', '--zone', 'az-cli', 'agg-cli']);
    expect(created).to.include({ name: 'agg-cli', availability_zone: 'az-cli' });
    const added = await os.json<Row>(['aggregate', 'add', 'host', 'agg-cli', 'node-1']);
    expect(added.hosts).to.deep.equal(['node-1']);
    await os.ok(['aggregate', 'set', '--property', 'ssd=true', 'agg-cli']);
    const shown = await os.json<Row>(['aggregate', 'show', 'agg-cli']);
    expect(shown).to.include({ name: 'agg-cli', availability_zone: 'az-cli' });
    expect(shown.properties).to.deep.equal({ ssd: 'true' });
    expect((await aggregateNamed('agg-cli'))?.spec).to.deep.equal({
      name: 'agg-cli',
      availabilityZone: 'az-cli',
      hosts: ['node-1'],
      metadata: { ssd: 'true' },
    });
    const zones = await os.json<Row[]>(['availability', 'zone', 'list', '--compute']);
    expect(zones.map((z) => z['Zone Name'])).to.include('az-cli');
    const long = await os.json<Row[]>(['availability', 'zone', 'list', '--compute', '--long']);
    expect(long.find((z) => z['Zone Name'] === 'az-cli')).to.include({
      'Host Name': 'node-1',
      'Service Name': 'nova-compute',
    });
    await os.ok(['aggregate', 'remove', 'host', 'agg-cli', 'node-1']);
    await os.ok(['aggregate', 'delete', 'agg-cli']);
    expect(await aggregateNamed('agg-cli')).to.equal(undefined);
  });

  it('hypervisor list and show', async () => {
    const list = await os.json<Row[]>(['hypervisor', 'list']);
    expect(list.map((h) => h['Hypervisor Hostname'])).to.deep.equal(['node-1']);
    const ch = await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'));
    const shown = await os.json<Row>(['hypervisor', 'show', 'node-1']);
    expect(shown).to.include({
      hypervisor_hostname: 'node-1',
      state: 'up',
      status: 'enabled',
      id: list[0]!.ID,
    });
    expect(shown).to.include({ vcpus: ch.status?.capacity?.vcpus, memory_mb: ch.status?.capacity?.memoryMb });
  });

  it('compute service list and set --disable --disable-reason write the ComputeHost', async () => {
    const list = await os.json<Row[]>(['compute', 'service', 'list']);
    expect(list).to.have.length(1);
    expect(list[0]).to.include({
      Binary: 'nova-compute',
      Host: 'node-1',
      Zone: 'nova',
      Status: 'enabled',
      State: 'up',
    });
    await os.ok([
      'compute',
      'service',
      'set',
      '--disable',
      '--disable-reason',
      'maintenance',
      'node-1',
      'nova-compute',
    ]);
    const ch = await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'));
    expect(ch.spec).to.include({ disabled: true, disabledReason: 'maintenance' });
    const after = await os.json<Row[]>(['compute', 'service', 'list', '--long']);
    expect(after[0]).to.include({ Status: 'disabled', 'Disabled Reason': 'maintenance' });
    await os.ok(['compute', 'service', 'set', '--enable', 'node-1', 'nova-compute']);
    expect((await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'))).spec.disabled).to.equal(
      false,
    );
  });
});
