// Objects the integration tests create over and over: fake compute nodes, flavors, images,
// servers; and polling helpers.
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION } from '../../operator/src/api/kind.ts';
import type {
  ComputeHost,
  Server,
  ServerAction,
  ServerActionName,
} from '../../operator/src/api/v1alpha1/index.ts';
import { SERVER_ACTIONS } from '../../operator/src/controllers/serveraction.ts';
import { COMPUTE_HOSTS, DRIVER_LABEL } from '../../operator/src/controllers/computehost.ts';
import { FLAVORS, IMAGES, SERVERS } from '../../operator/src/controllers/server.ts';
import { type KubeClient, isAlreadyExists } from '../../operator/src/kube/client.ts';
import { NAMESPACES, NODES, collectionPath, objectPath } from '../../operator/src/kube/resources.ts';
import { Informer } from '../../operator/src/runtime/informer.ts';

export interface NodeSize {
  cpu: number;
  memoryMb: number;
  diskGb: number;
}

/** A Ready Node object for a driver, fake by default (no kubelet: its status is written here). */
export async function createFakeNode(
  client: KubeClient,
  name: string,
  size: NodeSize,
  driver = 'fake',
): Promise<void> {
  await client.create(collectionPath(NODES), {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { [DRIVER_LABEL]: driver } },
  });
  const resources = {
    cpu: String(size.cpu),
    memory: `${size.memoryMb}Mi`,
    'ephemeral-storage': `${size.diskGb}Gi`,
  };
  await client.patch(objectPath(NODES, name, undefined, 'status'), {
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [{ type: 'InternalIP', address: '192.0.2.1' }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake node' }],
    },
  });
  // The apiserver taints new nodes not-ready; kube-controller-manager (absent here) lifts it.
  await client.patch(objectPath(NODES, name), { spec: { taints: null } });
}

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client
    .create(collectionPath(NAMESPACES), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
    .catch((e: unknown) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
}

export async function createFlavor(
  client: KubeClient,
  name: string,
  spec: { vcpus: number; ram: number; disk: number; id?: string },
): Promise<void> {
  await client.create(collectionPath(FLAVORS), {
    apiVersion: API_VERSION,
    kind: 'Flavor',
    metadata: { name },
    spec: { name, ...spec },
  });
}

export async function createImage(client: KubeClient, name: string): Promise<void> {
  await client.create(collectionPath(IMAGES), {
    apiVersion: API_VERSION,
    kind: 'Image',
    metadata: { name },
    spec: { name, visibility: 'public', source: { nodePath: `/var/lib/kova/images/${name}.qcow2` } },
  });
}

export function serverManifest(name: string, flavorRef: string, imageRef: string): Server {
  return {
    apiVersion: API_VERSION,
    kind: 'Server',
    metadata: { name },
    spec: { name, flavorRef, imageRef } as Server['spec'],
  };
}

export async function createServer(client: KubeClient, namespace: string, s: Server): Promise<Server> {
  return client.create<Server>(collectionPath(SERVERS, namespace), s);
}

export async function listServers(client: KubeClient, namespace?: string): Promise<Server[]> {
  return (await client.list<Server>(collectionPath(SERVERS, namespace))).items;
}

export async function getServer(client: KubeClient, namespace: string, name: string): Promise<Server> {
  return client.get<Server>(objectPath(SERVERS, name, namespace));
}

/** Polls until fn returns a value other than undefined/false; throws after timeoutMs. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await sleep(intervalMs);
  }
}

/**
 * Watches every Server and records, per server, each host it was bound to (a host set, cleared
 * and set again is two bindings) and, per host, the most vCPUs its servers held at any moment.
 */
export class BindingRecorder {
  readonly bindings = new Map<string, string[]>();
  readonly peakVcpus = new Map<string, number>();
  private readonly current = new Map<string, { host: string; vcpus: number }>();
  private readonly informer: Informer<Server>;

  constructor(client: KubeClient) {
    this.informer = new Informer<Server>(client, SERVERS);
    const seen = (s: Server) => {
      const uid = s.metadata.uid!;
      const host = s.status?.host;
      const before = this.current.get(uid);
      if (host && before?.host !== host) this.bindings.set(uid, [...(this.bindings.get(uid) ?? []), host]);
      if (host) this.current.set(uid, { host, vcpus: s.status?.flavor?.vcpus ?? 0 });
      else this.current.delete(uid);
      const used = new Map<string, number>();
      for (const c of this.current.values()) used.set(c.host, (used.get(c.host) ?? 0) + c.vcpus);
      for (const [h, v] of used) this.peakVcpus.set(h, Math.max(v, this.peakVcpus.get(h) ?? 0));
    };
    this.informer.addHandler({
      add: seen,
      update: (_o, s) => seen(s),
      delete: (s) => this.current.delete(s.metadata.uid!),
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** Servers bound more than once. */
  reboundServers(): string[] {
    return [...this.bindings]
      .filter(([, hosts]) => hosts.length > 1)
      .map(([uid, hosts]) => `${uid}: ${hosts.join(' -> ')}`);
  }
}

/** Runs fn over items with at most `limit` in flight (concurrent creation, as clients do). */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Waits until `count` ComputeHosts are up with a reported capacity. */
export async function waitForHostsUp(client: KubeClient, count: number, timeoutMs = 30_000): Promise<void> {
  await eventually(
    `${count} hosts up`,
    async () =>
      (await client.list<ComputeHost>(collectionPath(COMPUTE_HOSTS))).items.filter(
        (h) => h.status?.state === 'up' && h.status.capacity,
      ).length === count,
    timeoutMs,
  );
}

let actions = 0;

/**
 * Creates a ServerAction (as kubectl or the gateway would) and waits until it finished;
 * returns the finished record.
 */
export async function runAction(
  client: KubeClient,
  namespace: string,
  server: string,
  action: ServerActionName,
  options: { parameters?: ServerAction['spec']['parameters']; admin?: boolean } = {},
): Promise<ServerAction> {
  const name = `${server}-${action.replace(/_/g, '-').toLowerCase()}-${++actions}`;
  await client.create(collectionPath(SERVER_ACTIONS, namespace), {
    apiVersion: API_VERSION,
    kind: 'ServerAction',
    metadata: { name },
    spec: {
      server,
      action,
      admin: options.admin ?? false,
      ...(options.parameters ? { parameters: options.parameters } : {}),
    },
  });
  return eventually(`${name} finished`, async () => {
    const x = await client.get<ServerAction>(objectPath(SERVER_ACTIONS, name, namespace));
    return (x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed') && x;
  });
}
