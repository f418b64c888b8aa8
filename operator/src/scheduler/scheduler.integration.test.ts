// Server-group policies under concurrent creation, on the real apiserver with the operator
// in-process: hard policies hold, soft ones pack or spread as weighted, max_server_per_host holds.
import { expect } from 'chai';
import { API_VERSION } from '../api/kind.ts';
import {
  NUM_INSTANCES_ANNOTATION,
  RESERVATION_LABEL,
  type Server,
  type ServerGroup,
} from '../api/v1alpha1/index.ts';
import { SERVER_GROUPS } from '../controllers/servergroup.ts';
import type { KubeClient } from '../kube/client.ts';
import { NODES as NODES_RESOURCE, collectionPath, objectPath } from '../kube/resources.ts';
import { FLAVORS } from '../controllers/server.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createServer,
  eventually,
  listServers,
  pool,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

const NS = 'groups';
const NODES = 12;

const GROUPS: { name: string; policy: ServerGroup['spec']['policy']; maxServerPerHost?: number }[] = [
  { name: 'aff', policy: 'affinity' },
  { name: 'anti', policy: 'anti-affinity' },
  { name: 'anti2', policy: 'anti-affinity', maxServerPerHost: 2 },
  { name: 'soft-aff', policy: 'soft-affinity' },
  { name: 'soft-anti', policy: 'soft-anti-affinity' },
];

describe('Server groups under concurrent creation (operator + fake driver, real apiserver)', function () {
  this.timeout(180_000);
  let suite: OperatorSuite;
  let client: KubeClient;
  let servers: Server[];

  before(async () => {
    suite = await startOperatorSuite({
      namespaces: [NS],
      setup: async (client) => {
        for (let i = 0; i < NODES; i++) {
          await createFakeNode(client, `n-${i}`, { cpu: 64, memoryMb: 262144, diskGb: 4000 });
        }
        await createFlavor(client, 'm1.one', { vcpus: 1, ram: 512, disk: 1 });
        await createImage(client, 'tiny');
        for (const g of GROUPS) {
          await client.create(collectionPath(SERVER_GROUPS, NS), {
            apiVersion: API_VERSION,
            kind: 'ServerGroup',
            metadata: { name: g.name },
            spec: {
              name: g.name,
              policy: g.policy,
              ...(g.maxServerPerHost ? { rules: { maxServerPerHost: g.maxServerPerHost } } : {}),
            },
          });
        }
      },
      // Soft policies outweigh the RAM weigher's spreading, so packing shows.
      config: {
        scheduler: { soft_affinity_weight_multiplier: 10, soft_anti_affinity_weight_multiplier: 10 },
      },
      hostsUp: NODES,
    });
    client = suite.client;
    // 10 servers per group, all 50 created at once, interleaved.
    const requests = Array.from({ length: 10 }, (_, i) => GROUPS.map((g) => ({ g: g.name, i }))).flat();
    await pool(requests, 16, ({ g, i }) => {
      const s = serverManifest(`${g}-${i}`, 'm1.one', 'tiny');
      s.spec.serverGroup = g;
      return createServer(client, NS, s);
    });
    servers = await eventually(
      'all 50 ACTIVE or ERROR',
      async () => {
        const all = await listServers(client, NS);
        return (
          all.length === 50 && all.every((s) => ['ACTIVE', 'ERROR'].includes(s.status?.status ?? '')) && all
        );
      },
      60_000,
      250,
    );
  });

  after(async () => {
    await suite?.stop();
  });

  const hostsOf = (group: string) =>
    servers.filter((s) => s.spec.serverGroup === group).map((s) => s.status!.host!);
  const perHost = (hosts: string[]) => {
    const m = new Map<string, number>();
    for (const h of hosts) m.set(h, (m.get(h) ?? 0) + 1);
    return m;
  };

  it('every server of every group is ACTIVE', () => {
    expect(servers.filter((s) => s.status!.status !== 'ACTIVE').map((s) => s.metadata.name)).to.deep.equal(
      [],
    );
  });

  it('affinity: all 10 members on one host', () => {
    expect(new Set(hostsOf('aff')).size).to.equal(1);
  });

  it('anti-affinity: 10 members on 10 different hosts', () => {
    expect(new Set(hostsOf('anti')).size).to.equal(10);
  });

  it('anti-affinity with max_server_per_host 2: no host has more than 2 members', () => {
    expect(Math.max(...perHost(hostsOf('anti2')).values())).to.be.at.most(2);
  });

  it('soft-affinity packs: all 10 members on one host when it has room', () => {
    expect(new Set(hostsOf('soft-aff')).size).to.equal(1);
  });

  it('soft-anti-affinity spreads: 10 members on 10 different hosts when there are enough', () => {
    expect(new Set(hostsOf('soft-anti')).size).to.equal(10);
  });

  it("each group's status lists its 10 members", async () => {
    const groups = await eventually('members recorded', async () => {
      const list = (await client.list<ServerGroup>(collectionPath(SERVER_GROUPS, NS))).items;
      return list.every((g) => g.status?.members?.length === 10) && list;
    });
    for (const g of groups) {
      const expected = servers
        .filter((s) => s.spec.serverGroup === g.metadata.name)
        .map((s) => s.metadata.uid);
      expect([...g.status!.members!].sort()).to.deep.equal([...expected].sort());
    }
  });

  it('an 11th anti-affinity member with hosts left lands on one of them; a 13th cannot be placed', async () => {
    for (const i of [10, 11]) {
      const s = serverManifest(`anti-${i}`, 'm1.one', 'tiny');
      s.spec.serverGroup = 'anti';
      await createServer(client, NS, s);
    }
    await eventually('anti-10, anti-11 ACTIVE', async () => {
      const all = await listServers(client, NS);
      return (
        all.filter((s) => /^anti-1[01]$/.test(s.metadata.name!) && s.status?.status === 'ACTIVE').length === 2
      );
    });
    const s = serverManifest('anti-12', 'm1.one', 'tiny');
    s.spec.serverGroup = 'anti';
    await createServer(client, NS, s);
    const refused = await eventually('anti-12 ERROR', async () => {
      const x = (await listServers(client, NS)).find((y) => y.metadata.name === 'anti-12');
      return x?.status?.status === 'ERROR' && x;
    });
    expect(refused.status!.fault!.details).to.contain("'ServerGroupAntiAffinityFilter: (start: 12, end: 0)'");
  });

  it('multi-create is all or nothing: 3 servers that fit all go ACTIVE; 20 that do not fit all go ERROR', async () => {
    await createFlavor(client, 'm1.huge', { vcpus: 200, ram: 1024, disk: 1 }); // one per host (64 × cpu_allocation_ratio 4.0)
    const batch = async (reservation: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const s = serverManifest(`${reservation}-${i}`, 'm1.huge', 'tiny');
        s.metadata.labels = { [RESERVATION_LABEL]: reservation };
        s.metadata.annotations = { [NUM_INSTANCES_ANNOTATION]: String(count) };
        await createServer(client, NS, s);
      }
      return eventually(`${reservation} decided`, async () => {
        const mine = (await listServers(client, NS)).filter(
          (s) => s.metadata.labels?.[RESERVATION_LABEL] === reservation,
        );
        return (
          mine.length === count &&
          mine.every((s) => ['ACTIVE', 'ERROR'].includes(s.status?.status ?? '')) &&
          mine
        );
      });
    };
    const fits = await batch('r-fits', 3);
    expect(fits.map((s) => s.status!.status)).to.deep.equal(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    const tooMany = await batch('r-too-many', 20); // 12 hosts, 3 already holding one
    expect(new Set(tooMany.map((s) => s.status!.status))).to.deep.equal(new Set(['ERROR']));
    expect(tooMany[0]!.status!.fault!.message).to.equal(
      'No valid host was found. There are not enough hosts available.',
    );
  });

  it('a required trait (trait:X=required) lands the server on the node labelled with it', async () => {
    await client.patch(objectPath(NODES_RESOURCE, 'n-5'), {
      metadata: { labels: { 'trait.compute.kova.io/CUSTOM_FAST': 'true' } },
    });
    await client.create(collectionPath(FLAVORS), {
      apiVersion: API_VERSION,
      kind: 'Flavor',
      metadata: { name: 'm1.fast' },
      spec: { name: 'm1.fast', vcpus: 1, ram: 512, disk: 1, extraSpecs: { 'trait:CUSTOM_FAST': 'required' } },
    });
    await createServer(client, NS, serverManifest('fast-1', 'm1.fast', 'tiny'));
    const s = await eventually('fast-1 decided', async () => {
      const x = (await listServers(client, NS)).find((y) => y.metadata.name === 'fast-1');
      return ['ACTIVE', 'ERROR'].includes(x?.status?.status ?? '') && x;
    });
    expect(s.status!.host).to.equal('n-5');
  });

  it('a tainted node takes only servers that tolerate the taint', async () => {
    await client.patch(objectPath(NODES_RESOURCE, 'n-6'), {
      spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    });
    const pinned = (name: string, tolerate: boolean) => {
      const s = serverManifest(name, 'm1.one', 'tiny');
      s.spec.host = 'n-6';
      if (tolerate)
        s.spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }];
      return createServer(client, NS, s);
    };
    await pinned('intolerant', false);
    await pinned('tolerant', true);
    const [intolerant, tolerant] = await eventually('both decided', async () => {
      const all = await listServers(client, NS);
      const pair = ['intolerant', 'tolerant'].map((n) => all.find((s) => s.metadata.name === n));
      return pair.every((s) => ['ACTIVE', 'ERROR'].includes(s?.status?.status ?? '')) && (pair as Server[]);
    });
    expect(intolerant!.status!.status).to.equal('ERROR');
    expect(intolerant!.status!.fault!.details).to.contain("'KubernetesNodeFilter: (start: 1, end: 0)'");
    expect(tolerant!.status!.status).to.equal('ACTIVE');
    expect(tolerant!.status!.host).to.equal('n-6');
  });
});
