// KubeVirt, played for the integration tests: the test control plane has KubeVirt's CRDs
// (e2e/testdata/kubevirt) but none of its components, so this stands in for
//  - virt-controller: a VirtualMachine whose runStrategy is Always or RerunOnFailure and has no
//    VMI gets a VirtualMachineInstance
//    (its template, created with strict field validation, so the VMI schema checks it too); Halted
//    deletes it; a VMI whose VM is gone is deleted (the garbage collector the test apiserver lacks);
//    a VirtualMachineInstanceMigration moves the VMI to the node it selects, if the VMI's (live-
//    updated) node affinity allows that node;
//  - virt-handler: a VMI goes Pending → Scheduled (on the node its affinity names) → Running, with
//    an interface address and phase transition timestamps, as KubeVirt's status documents; a guest
//    that shuts down is Succeeded, a virt-launcher that dies Failed (guestShutdown, crash), and a
//    finished VMI stays as KubeVirt leaves it under RerunOnFailure (re-running a failed one after
//    KubeVirt's backoff is not played);
//  - virt-api: a loopback HTTP server for the subresources.kubevirt.io/v1 calls (pause, unpause,
//    softreboot on VMIs; restart on VMs), recording each request exactly as it arrived.
import { type IncomingMessage, type Server as HttpServer, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import {
  VIRTUAL_MACHINES,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  kubeSubresources,
  type SubresourceClient,
} from '../../operator/src/drivers/kubevirt/driver.ts';
import type {
  V1VirtualMachine,
  V1VirtualMachineInstance,
  V1VirtualMachineInstanceMigration,
} from '../../operator/src/drivers/kubevirt/types.ts';
import { KubeClient, isAlreadyExists, isNotFound } from '../../operator/src/kube/client.ts';
import { collectionPath, objectPath } from '../../operator/src/kube/resources.ts';

export interface VirtApiRequest {
  method: string;
  path: string;
  contentType?: string;
  body: unknown;
}

type Vmi = V1VirtualMachineInstance;
const ALL_VMS = '/apis/kubevirt.io/v1/virtualmachines';
const ALL_VMIS = '/apis/kubevirt.io/v1/virtualmachineinstances';
const ALL_VMIMS = '/apis/kubevirt.io/v1/virtualmachineinstancemigrations';
const SUBRESOURCE =
  /^\/apis\/subresources\.kubevirt\.io\/v1\/namespaces\/([^/]+)\/(virtualmachineinstances|virtualmachines)\/([^/]+)\/([a-z]+)$/;

/** The node a VMI's required node affinity names (matchFields metadata.name In [node]). */
function affinityNodes(spec: Vmi['spec']): string[] {
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return (terms ?? []).flatMap((t) =>
    (t.matchFields ?? [])
      .filter((f) => f.key === 'metadata.name' && f.operator === 'In')
      .flatMap((f) => f.values ?? []),
  );
}

let addresses = 0;

/** The driver changed the object since this pass listed it: the next pass sees the new state. */
const raced = (e: unknown) => (isNotFound(e) || isAlreadyExists(e) ? undefined : Promise.reject(e));

export class FakeKubeVirt {
  readonly requests: VirtApiRequest[] = [];
  /** Return a reason to make the VMI of this VM fail instead of running (virt-launcher failing). */
  failVmi?: (vm: V1VirtualMachine, node: string) => string | undefined;
  private readonly client: KubeClient;
  private readonly stopped = new AbortController();
  private loop?: Promise<void>;
  private http?: HttpServer;
  private virtApi?: KubeClient;

  constructor(client: KubeClient) {
    this.client = client;
  }

  /** Starts the controllers' loop and virt-api; returns the driver's subresource client for it. */
  async start(): Promise<SubresourceClient> {
    this.http = createServer((req, res) => {
      this.serve(req)
        .then(([code, body]) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', message: String(err) }));
        });
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    const { port } = this.http.address() as AddressInfo;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'virt-api', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'operator', token: 'operator-token' }],
      contexts: [{ name: 'virt-api', cluster: 'virt-api', user: 'operator' }],
      currentContext: 'virt-api',
    });
    this.virtApi = await KubeClient.create(kc);
    this.loop = this.run();
    return kubeSubresources(this.virtApi);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.loop;
    await this.virtApi?.close();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
  }

  /** virt-api: records the call, then does what KubeVirt does for it. */
  private async serve(req: IncomingMessage): Promise<[number, unknown]> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    this.requests.push({
      method: req.method!,
      path: req.url!,
      contentType: req.headers['content-type'],
      body: text ? JSON.parse(text) : undefined,
    });
    const m = SUBRESOURCE.exec(req.url ?? '');
    if (req.method !== 'PUT' || !m) return [404, { kind: 'Status', reason: 'NotFound', message: req.url }];
    const [, ns, plural, name, verb] = m as unknown as [string, string, string, string, string];
    const vmi = await this.getVmi(ns, name);
    const conflict = (message: string): [number, unknown] => [
      409,
      { kind: 'Status', reason: 'Conflict', message },
    ];
    if (plural === 'virtualmachines') {
      if (verb !== 'restart') return [404, { kind: 'Status', reason: 'NotFound', message: verb }];
      // restart: the VMI is deleted; the VM controller starts a new one.
      if (vmi) await this.client.delete(objectPath(VIRTUAL_MACHINE_INSTANCES, name, ns));
      return [202, {}];
    }
    if (!vmi || vmi.status?.phase !== 'Running') return conflict(`VMI ${name} is not running`);
    const paused = !!vmi.status.conditions?.some((c) => c.type === 'Paused' && c.status === 'True');
    switch (verb) {
      case 'pause':
        if (paused) return conflict('VMI is already paused');
        await this.setStatus(vmi, {
          conditions: [
            ...(vmi.status.conditions ?? []),
            { type: 'Paused', status: 'True', reason: 'PausedByUser', message: 'VMI was paused by user' },
          ],
        });
        return [202, {}];
      case 'unpause':
        if (!paused) return conflict('VMI is not paused');
        await this.setStatus(vmi, { conditions: vmi.status.conditions!.filter((c) => c.type !== 'Paused') });
        return [202, {}];
      case 'softreboot':
        if (paused) return conflict('VMI is paused');
        return [202, {}];
      default:
        return [404, { kind: 'Status', reason: 'NotFound', message: verb }];
    }
  }

  /** The guest powered itself off: its VMI is Succeeded. */
  async guestShutdown(ns: string, name: string): Promise<void> {
    await this.finish(ns, name, 'Succeeded');
  }

  /** virt-launcher died: the VMI is Failed, with KubeVirt's reason and condition message. */
  async crash(ns: string, name: string, message: string): Promise<void> {
    await this.finish(ns, name, 'Failed', {
      reason: 'PodFailed',
      conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed', message }],
    });
  }

  private async finish(
    ns: string,
    name: string,
    phase: string,
    extra: Partial<NonNullable<Vmi['status']>> = {},
  ): Promise<void> {
    const vmi = await this.getVmi(ns, name);
    if (!vmi) throw new Error(`no VMI ${ns}/${name}`);
    const stamps = vmi.status?.phaseTransitionTimestamps ?? [];
    await this.setStatus(vmi, {
      phase,
      phaseTransitionTimestamps: [...stamps, { phase, phaseTransitionTimestamp: new Date().toISOString() }],
      ...extra,
    });
  }

  private getVmi(ns: string, name: string): Promise<Vmi | undefined> {
    return this.client
      .get<Vmi>(objectPath(VIRTUAL_MACHINE_INSTANCES, name, ns))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  private async setStatus(vmi: Vmi, status: Partial<NonNullable<Vmi['status']>>): Promise<void> {
    const { name, namespace } = vmi.metadata!;
    // A VMI deleted meanwhile (a stop, restart or evacuate) is simply gone.
    await this.client
      .patch(objectPath(VIRTUAL_MACHINE_INSTANCES, name!, namespace!, 'status'), { status })
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  private async run(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      await this.reconcile().catch((err: unknown) => {
        if (!this.stopped.signal.aborted) console.error('fake KubeVirt:', err);
      });
      await sleep(100);
    }
  }

  private async reconcile(): Promise<void> {
    const vms = (await this.client.list<V1VirtualMachine>(ALL_VMS)).items;
    const vmis = (await this.client.list<Vmi>(ALL_VMIS)).items;
    const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
      `${o.metadata!.namespace}/${o.metadata!.name}`;
    const vmByKey = new Map(vms.map((vm) => [key(vm), vm]));
    const vmiByKey = new Map(vmis.map((vmi) => [key(vmi), vmi]));
    for (const vm of vms) {
      const vmi = vmiByKey.get(key(vm));
      const { name, namespace } = vm.metadata!;
      const runs = vm.spec.runStrategy === 'Always' || vm.spec.runStrategy === 'RerunOnFailure';
      if (runs && !vmi) {
        await this.client
          .request('POST', collectionPath(VIRTUAL_MACHINE_INSTANCES, namespace), {
            body: {
              apiVersion: 'kubevirt.io/v1',
              kind: 'VirtualMachineInstance',
              metadata: {
                name,
                labels: vm.spec.template.metadata?.labels,
                ownerReferences: [
                  {
                    apiVersion: 'kubevirt.io/v1',
                    kind: 'VirtualMachine',
                    name: name!,
                    uid: vm.metadata!.uid!,
                    controller: true,
                  },
                ],
              },
              spec: vm.spec.template.spec,
            },
            query: { fieldValidation: 'Strict' },
          })
          .catch(raced);
      } else if (vm.spec.runStrategy === 'Halted' && vmi) {
        await this.client.delete(objectPath(VIRTUAL_MACHINE_INSTANCES, name!, namespace)).catch(raced);
      }
    }
    for (const vmi of vmis) {
      const vm = vmByKey.get(key(vmi));
      if (!vm || vm.metadata!.uid !== vmi.metadata!.ownerReferences?.[0]?.uid) {
        await this.client
          .delete(objectPath(VIRTUAL_MACHINE_INSTANCES, vmi.metadata!.name!, vmi.metadata!.namespace))
          .catch(raced);
        continue;
      }
      await this.advance(vm, vmi);
    }
    for (const mig of (await this.client.list<V1VirtualMachineInstanceMigration>(ALL_VMIMS)).items) {
      if (!mig.status?.phase) await this.migrate(mig);
    }
  }

  /** virt-handler's phases: Pending → Scheduled (on its node) → Running (or Failed). */
  private async advance(vm: V1VirtualMachine, vmi: Vmi): Promise<void> {
    const node = affinityNodes(vmi.spec)[0] ?? '';
    const now = new Date().toISOString();
    const stamps = vmi.status?.phaseTransitionTimestamps ?? [];
    const enter = (phase: string, extra: Partial<NonNullable<Vmi['status']>> = {}) =>
      this.setStatus(vmi, {
        phase,
        phaseTransitionTimestamps: [...stamps, { phase, phaseTransitionTimestamp: now }],
        ...extra,
      });
    switch (vmi.status?.phase) {
      case undefined:
      case '':
        return enter('Pending');
      case 'Pending':
        return enter('Scheduled', { nodeName: node });
      case 'Scheduled': {
        const failure = this.failVmi?.(vm, node);
        if (failure) {
          return enter('Failed', {
            reason: 'PodFailed',
            conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed', message: failure }],
          });
        }
        const n = ++addresses;
        return enter('Running', {
          conditions: [{ type: 'Ready', status: 'True' }],
          interfaces: [
            {
              name: 'default',
              ipAddress: `10.244.0.${n}`,
              ipAddresses: [`10.244.0.${n}`],
              mac: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`,
            },
          ],
        });
      }
    }
  }

  /** virt-controller's migration: to the selected node, if the VMI's node affinity allows it. */
  private async migrate(mig: V1VirtualMachineInstanceMigration): Promise<void> {
    const ns = mig.metadata!.namespace!;
    const vmi = await this.getVmi(ns, mig.spec.vmiName!);
    const target = mig.spec.addedNodeSelector?.['kubernetes.io/hostname'];
    const setPhase = (phase: string) =>
      this.client.patch(objectPath(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, mig.metadata!.name!, ns, 'status'), {
        status: { phase },
      });
    // KubeVirt live-updates the VMI's node affinity from its VM before the target pod is scheduled.
    const vm = await this.client
      .get<V1VirtualMachine>(objectPath(VIRTUAL_MACHINES, mig.spec.vmiName!, ns))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    const affinity = vm?.spec.template.spec?.affinity;
    if (
      !vmi ||
      vmi.status?.phase !== 'Running' ||
      !target ||
      !affinityNodes({ affinity } as Vmi['spec']).includes(target)
    ) {
      await setPhase('Failed');
      return;
    }
    await this.client.patch(objectPath(VIRTUAL_MACHINE_INSTANCES, vmi.metadata!.name!, ns), {
      spec: { affinity },
    });
    await this.setStatus(vmi, {
      nodeName: target,
      migrationState: { sourceNode: vmi.status.nodeName!, targetNode: target, completed: true },
    });
    await setPhase('Succeeded');
  }
}
