// The world of the servers integration suites: the operator with the fake driver on a real
// apiserver, one fake compute host, flavor m1.small (id 2), image cirros, and the gateway with its
// bootstrap admin (admin/secret on project admin).
import type { DeepPartial, OperatorConfig } from '../../../operator/src/config.ts';
import { createFakeNode, createFlavor, createImage } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

export interface ServersSuite {
  suite: OperatorSuite;
  gw: TestGateway;
  stop(): Promise<void>;
}

export async function startServersSuite(config?: DeepPartial<OperatorConfig>): Promise<ServersSuite> {
  const suite = await startOperatorSuite({
    hostsUp: 1,
    config,
    setup: async (client) => {
      await createFakeNode(client, 'node-1', { cpu: 16, memoryMb: 32768, diskGb: 400 });
      await createFlavor(client, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
      await createImage(client, 'cirros');
    },
  });
  const gw = await startGateway(suite.cp, {
    bootstrap: { user: 'admin', password: 'secret', project: 'admin' },
  });
  return {
    suite,
    gw,
    async stop() {
      await gw.close();
      await suite.stop();
    },
  };
}
