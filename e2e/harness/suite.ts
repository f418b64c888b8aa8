// One integration suite's world (Kubebuilder's suite_test): a real control plane, a client, and
// the operator running in-process with the fake driver, set up in before() and torn down in after().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type DeepPartial, type OperatorConfig, loadConfig } from '../../operator/src/config.ts';
import { KubeClient } from '../../operator/src/kube/client.ts';
import { Operator, type OperatorOptions } from '../../operator/src/operator.ts';
import { ControlPlane } from './controlplane.ts';
import { createNamespace, waitForHostsUp } from './fixtures.ts';

export interface OperatorSuite {
  cp: ControlPlane;
  client: KubeClient;
  operator: Operator;
  /** Where the fake driver keeps its VMs. */
  stateDir: string;
  stop(): Promise<void>;
}

export interface OperatorSuiteOptions {
  /** Project namespaces to create (kova-system always is). */
  namespaces?: string[];
  /** Creates nodes, flavors, images... before the operator starts. */
  setup?: (client: KubeClient) => Promise<void>;
  /** Operator configuration over the suite defaults (no leader election, fake driver, 1 s heartbeats). */
  config?: DeepPartial<OperatorConfig>;
  /** Wait until this many compute hosts are up before the tests run. */
  hostsUp?: number;
  /** More CRDs to install, as [directory, served version] (e.g. KubeVirt's). */
  crds?: [string, string][];
  /** Operator options over the suite's (e.g. the KubeVirt driver's subresource client). */
  operator?: Pick<OperatorOptions, 'kubevirtSubresources'>;
}

export async function startOperatorSuite(options: OperatorSuiteOptions = {}): Promise<OperatorSuite> {
  const cp = await ControlPlane.start();
  for (const [dir, version] of options.crds ?? []) await cp.installCRDs(dir, version);
  const client = await KubeClient.create(cp.kubeConfig);
  const stateDir = mkdtempSync(join(tmpdir(), 'kova-fake-'));
  for (const ns of ['kova-system', ...(options.namespaces ?? [])]) await createNamespace(client, ns);
  await options.setup?.(client);
  const overrides = options.config ?? {};
  const config = loadConfig(undefined, {
    ...overrides,
    leaderElection: { enabled: false, ...overrides.leaderElection },
    fake: { enabled: true, stateDir, ...overrides.fake },
    compute: { report_interval: 1, ...overrides.compute },
  });
  const operator = await Operator.create({
    kubeConfig: cp.kubeConfig,
    config,
    log: pino({ level: process.env.KOVA_TEST_LOG ?? 'warn' }),
    ...options.operator,
  });
  const running = operator.run();
  if (options.hostsUp) await waitForHostsUp(client, options.hostsUp);
  return {
    cp,
    client,
    operator,
    stateDir,
    async stop() {
      await operator.stop();
      await running;
      await client.close();
      await cp.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
