// BENCH sched_decisions_per_s_{1000,5000}_hosts: scheduling decisions per second, in-process,
// with Nova's default filters and weighers, through the real SchedulerCache (fed by informers
// over an in-memory list) and the real decide(); each decision is assumed into the cache, as the
// scheduler does, so usage moves. BENCH sched_heap_mb_5000_hosts: heap held by the cache and its
// informers at 5000 hosts with 4 servers each. Run with `node --expose-gc` for a settled heap.
import type {
  Aggregate,
  ComputeHost,
  Image,
  Server,
  ServerGroup,
} from '../../operator/src/api/v1alpha1/index.ts';
import type { Node } from '../../operator/src/controllers/computehost.ts';
import { DEFAULT_CONFIG } from '../../operator/src/config.ts';
import type { KubeList, KubeObject, WatchEvent } from '../../operator/src/kube/client.ts';
import { NODES } from '../../operator/src/kube/resources.ts';
import { Informer, type ListWatcher } from '../../operator/src/runtime/informer.ts';
import { SchedulerCache } from '../../operator/src/scheduler/cache.ts';
import { validateSchedulerConfig } from '../../operator/src/scheduler/config.ts';
import { buildPlugins } from '../../operator/src/scheduler/registry.ts';
import { IncrementalSelector } from '../../operator/src/scheduler/incremental.ts';
import { assumeDecision, decide } from '../../operator/src/scheduler/scheduler.ts';
import { realClock } from '../../operator/src/runtime/clock.ts';

/** A list/watch source that serves a fixed list and then a watch that never ends. */
function source(items: KubeObject[]): ListWatcher {
  return {
    list: async <T>() => ({ metadata: { resourceVersion: '1' }, items: items as T[] }) as KubeList<T>,
    watch: <T>(_p: string, _q: unknown, _e: (e: WatchEvent<T>) => void, signal: AbortSignal) =>
      new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
  };
}

async function informer<T extends KubeObject>(items: KubeObject[]): Promise<Informer<T>> {
  const inf = new Informer<T>(source(items), NODES);
  await inf.start();
  return inf;
}

function world(hosts: number, serversPerHost: number) {
  const computeHosts: ComputeHost[] = [];
  const nodes: Node[] = [];
  const servers: Server[] = [];
  for (let i = 0; i < hosts; i++) {
    const name = `host-${i}`;
    computeHosts.push({
      apiVersion: 'compute.kova.io/v1alpha1',
      kind: 'ComputeHost',
      metadata: { name, uid: `ch-${i}`, resourceVersion: '1' },
      spec: { disabled: i % 97 === 0, forcedDown: false },
      status: {
        driver: 'fake',
        hypervisorType: 'QEMU',
        hypervisorVersion: 8002000,
        state: 'up',
        capacity: { vcpus: 64, memoryMb: 262144, localGb: 2000 },
      },
    });
    nodes.push({
      metadata: { name, resourceVersion: '1', labels: { 'compute.kova.io/driver': 'fake' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    for (let j = 0; j < serversPerHost; j++) {
      servers.push({
        apiVersion: 'compute.kova.io/v1alpha1',
        kind: 'Server',
        metadata: {
          name: `s-${i}-${j}`,
          namespace: `p${i % 50}`,
          uid: `uid-${i}-${j}`,
          resourceVersion: '1',
        },
        spec: { name: `s-${i}-${j}`, flavorRef: 'm1', imageRef: 'img' } as Server['spec'],
        status: {
          vmState: 'active',
          powerState: 'running',
          host: name,
          flavor: {
            id: '1',
            name: 'm1',
            vcpus: 1 + (j % 4),
            ram: 2048 * (1 + (j % 4)),
            disk: 20,
            ephemeral: 0,
            swap: 0,
          },
        },
      });
    }
  }
  const aggregates: Aggregate[] = Array.from({ length: 10 }, (_, k) => ({
    apiVersion: 'compute.kova.io/v1alpha1',
    kind: 'Aggregate',
    metadata: { name: `agg-${k}`, uid: `agg-${k}`, resourceVersion: '1' },
    spec: {
      name: `agg-${k}`,
      hosts: computeHosts.filter((_, i) => i % 10 === k).map((h) => h.metadata.name!),
      metadata: { ssd: 'true' },
    },
  }));
  return { computeHosts, nodes, servers, aggregates };
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function bench(hosts: number, decisions: number): Promise<{ perSecond: number; heapMb: number }> {
  const before = heapMb();
  const w = world(hosts, 4);
  const cache = new SchedulerCache({
    servers: await informer<Server>(w.servers),
    computeHosts: await informer<ComputeHost>(w.computeHosts),
    aggregates: await informer<Aggregate>(w.aggregates),
    nodes: await informer<Node>(w.nodes),
    serverGroups: await informer<ServerGroup>([]),
    config: DEFAULT_CONFIG.compute,
    clock: realClock,
  });
  const held = heapMb() - before;
  const plugins = buildPlugins(validateSchedulerConfig({}));
  const images: Image[] = [];
  const request = (n: number): Server => ({
    apiVersion: 'compute.kova.io/v1alpha1',
    kind: 'Server',
    metadata: { name: `new-${n}`, namespace: 'bench', uid: `new-${n}`, resourceVersion: '1' },
    spec: { name: `new-${n}`, flavorRef: 'm1.small', imageRef: 'img' } as Server['spec'],
    status: {
      vmState: 'building',
      taskState: 'scheduling',
      flavor: { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20, ephemeral: 0, swap: 0 },
    },
  });
  const selector = new IncrementalSelector(); // as the scheduler keeps one
  for (let n = 0; n < 200; n++) decide(request(-n - 1), cache, plugins, images, selector); // warm up the JIT
  const t0 = performance.now();
  for (let n = 0; n < decisions; n++) {
    const s = request(n);
    const { spec, selection } = decide(s, cache, plugins, images, selector);
    if (!selection.host) throw new Error('bench: no valid host');
    assumeDecision(cache, s, spec, selection.host.name);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: decisions / seconds, heapMb: held };
}

const small = await bench(1000, 3000);
console.log(`BENCH sched_decisions_per_s_1000_hosts=${small.perSecond.toFixed(0)} 1/s`);
const large = await bench(5000, 3000);
console.log(`BENCH sched_decisions_per_s_5000_hosts=${large.perSecond.toFixed(0)} 1/s`);
console.log(`BENCH sched_heap_mb_5000_hosts=${large.heapMb.toFixed(1)} MB`);
process.exit(0);
