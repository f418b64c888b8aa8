// The aggregate controller: gives each Aggregate the integer id Nova's API shows (its uuid is
// metadata.uid), once, never reused: one past the highest id any aggregate has or had from
// this process. It runs with one worker in the one leading operator, so two aggregates never
// get the same id.
import { AggregateKind, type Aggregate } from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { kovaResource } from '../kube/resources.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Informer } from '../runtime/informer.ts';

export const AGGREGATES = kovaResource(AggregateKind);

export function aggregateReconciler(d: { client: KubeClient; aggregates: Informer<Aggregate> }) {
  let highest = 0; // ids handed out here, in case the cache has not seen them yet
  return async (name: string): Promise<void> => {
    const agg = d.aggregates.get(name);
    if (!agg || agg.status?.id) return;
    for (const a of d.aggregates.list()) highest = Math.max(highest, a.status?.id ?? 0);
    const id = highest + 1;
    await replaceStatus(d.client, AGGREGATES, agg, { ...agg.status, id });
    highest = id;
  };
}
