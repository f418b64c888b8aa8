// Resize accounting on the real apiserver: the destination is claimed for the new flavor during
// VERIFY_RESIZE while the source keeps the old one; confirm frees the source, revert the
// destination; and after many random resizes every host's usage is exactly its servers' flavors.
import { expect } from 'chai';
import { isDeepStrictEqual } from 'node:util';
import type { ComputeHost, Server, ServerAction, ServerActionName } from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { collectionPath } from '../kube/resources.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createServer,
  eventually,
  getServer,
  listServers,
  pool,
  runAction,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';
import { COMPUTE_HOSTS } from './computehost.ts';

const NS = 'resize';
const HOSTS = ['r-0', 'r-1', 'r-2'];
const FLAVORS = { 'f.one': 1, 'f.two': 2, 'f.four': 4 } as const; // vCPUs (RAM 512 MiB per vCPU)

/** A member's action on a server of this suite's project, run to its end and the server idle again. */
async function act(
  client: KubeClient,
  server: string,
  action: ServerActionName,
  parameters?: object,
): Promise<ServerAction> {
  const done = await runAction(client, NS, server, action, { parameters });
  await eventually(`${server} idle`, async () => {
    const s = await getServer(client, NS, server);
    return !s.status?.taskState && !s.status?.action;
  });
  return done;
}

async function usage(client: KubeClient): Promise<Record<string, number>> {
  const hosts = (await client.list<ComputeHost>(collectionPath(COMPUTE_HOSTS))).items;
  return Object.fromEntries(hosts.map((h) => [h.metadata.name!, h.status?.usage?.vcpus ?? -1]));
}

/** Each host's vCPUs as the servers' own records say: flavor on host, plus a pending move's other side. */
function expectedUsage(servers: Server[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(HOSTS.map((h) => [h, 0]));
  for (const s of servers) {
    const st = s.status!;
    if (st.host) out[st.host]! += st.flavor!.vcpus;
    const m = st.migration;
    if (m?.finishedAt && m.sourceHost && m.oldFlavor) out[m.sourceHost]! += m.oldFlavor.vcpus;
  }
  return out;
}

describe('Resize: claims on both hosts, confirm and revert (operator + fake driver, real apiserver)', function () {
  this.timeout(300_000);
  let suite: OperatorSuite;
  let client: KubeClient;

  before(async () => {
    suite = await startOperatorSuite({
      namespaces: [NS],
      setup: async (c) => {
        for (const h of HOSTS) await createFakeNode(c, h, { cpu: 32, memoryMb: 65536, diskGb: 1000 });
        for (const [name, vcpus] of Object.entries(FLAVORS)) {
          await createFlavor(c, name, { vcpus, ram: 512 * vcpus, disk: 1 });
        }
        await createImage(c, 'tiny');
      },
      config: { compute: { cpu_allocation_ratio: 1 } },
      hostsUp: HOSTS.length,
    });
    client = suite.client;
  });

  after(async () => {
    await suite?.stop();
  });

  it('VERIFY_RESIZE holds the new flavor on the destination and the old on the source; confirm frees the source', async () => {
    await createServer(client, NS, serverManifest('one', 'f.one', 'tiny'));
    const built = await eventually('one ACTIVE', async () => {
      const s = await getServer(client, NS, 'one');
      return s.status?.status === 'ACTIVE' && s;
    });
    const source = built.status!.host!;
    expect((await act(client, 'one', 'resize', { flavorRef: 'f.four' })).status!.phase).to.equal('Succeeded');
    const verifying = await getServer(client, NS, 'one');
    expect(verifying.status!.status).to.equal('VERIFY_RESIZE');
    const dest = verifying.status!.host!;
    expect(dest).to.not.equal(source); // allow_resize_to_same_host is false
    expect(verifying.status!.flavor!.name).to.equal('f.four');
    await eventually('both hosts claimed', async () => {
      const u = await usage(client);
      return u[source] === 1 && u[dest] === 4;
    });
    expect(await suite.operator.fakeDriver!.listInstances(dest)).to.include(verifying.metadata.uid);

    expect((await act(client, 'one', 'confirmResize')).status!.phase).to.equal('Succeeded');
    expect((await getServer(client, NS, 'one')).status!.status).to.equal('ACTIVE');
    await eventually('source freed', async () => {
      const u = await usage(client);
      return u[source] === 0 && u[dest] === 4;
    });
  });

  it('revert goes back to the source with the old flavor and frees the destination', async () => {
    const before = await getServer(client, NS, 'one');
    const source = before.status!.host!;
    await act(client, 'one', 'resize', { flavorRef: 'f.two' });
    const dest = (await getServer(client, NS, 'one')).status!.host!;
    await eventually('both hosts claimed', async () => {
      const u = await usage(client);
      return u[source] === 4 && u[dest] === 2;
    });
    expect((await act(client, 'one', 'revertResize')).status!.phase).to.equal('Succeeded');
    const reverted = await getServer(client, NS, 'one');
    expect(reverted.status).to.deep.include({ status: 'ACTIVE', host: source });
    expect(reverted.status!.flavor!.name).to.equal('f.four');
    expect(reverted.status!.migration).to.equal(undefined);
    await eventually('destination freed', async () => {
      const u = await usage(client);
      return u[source] === 4 && u[dest] === 0;
    });
  });

  it("after 50 random resize then confirm-or-revert sequences, every host holds exactly its servers' flavors", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `rnd-${i}`);
    await pool(names, 5, (name) => createServer(client, NS, serverManifest(name, 'f.one', 'tiny')));
    await eventually('10 ACTIVE', async () => {
      const all = await listServers(client, NS);
      return (
        all.filter((s) => names.includes(s.metadata.name!) && s.status?.status === 'ACTIVE').length === 10
      );
    });
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const flavorNames = Object.keys(FLAVORS);
    const plan = Array.from({ length: 50 }, (_, i) => ({
      server: names[i % names.length]!,
      confirm: rand() < 0.5,
      pick: rand(),
    }));
    // Sequences of one server run in order; servers run concurrently.
    await pool(names, 10, async (name) => {
      for (const step of plan.filter((p) => p.server === name)) {
        const current = (await getServer(client, NS, name)).status!.flavor!.name;
        const others = flavorNames.filter((f) => f !== current);
        const target = others[Math.floor(step.pick * others.length)]!;
        const resized = await act(client, name, 'resize', { flavorRef: target });
        if (resized.status!.phase !== 'Succeeded') continue; // no room: refused, nothing held
        await act(client, name, step.confirm ? 'confirmResize' : 'revertResize');
      }
    });
    const servers = await listServers(client, NS);
    expect(
      servers.filter((s) => s.status?.migration || s.status?.status !== 'ACTIVE').map((s) => s.metadata.name),
    ).to.deep.equal([]);
    const expected = expectedUsage(servers);
    await eventually(
      'usage equals the flavors of the servers on each host',
      async () => isDeepStrictEqual(await usage(client), expected),
      15_000,
    );
    // And the hypervisor agrees: each server's VM on its host, with its flavor.
    for (const s of servers) {
      expect(await suite.operator.fakeDriver!.listInstances(s.status!.host!)).to.include(s.metadata.uid);
    }
  });
});
