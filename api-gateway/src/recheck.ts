// CONF.quota.recheck_quota, made exact under concurrency. Nova checks a quota, creates, then
// counts again with a delta of 0 and undoes the create when the count passes the limit; two
// concurrent creates may then both undo themselves, or (counting at different moments) both stay.
// Here the recount is of the collection as it was at the revision of the creation itself: a
// consistent list at exactly the resourceVersion the create returned (etcd's revision), which
// holds every object created before it and none created after. Objects are thereby ranked by
// their creation revision, and a create stays exactly when what was there up to it fits: of
// concurrent creates from a quota of N, the first N by revision stay and every later one finds
// N + itself and is undone. (A later one cannot count itself in while an earlier one it does not
// see stays: the earlier is in its list.) Undone objects are deleted as the user deletes them,
// so whatever the operator began for them (a claim on a host, a create record) is undone as for
// any deleted object. The same recheck makes a unique name hold (a quota of one per name: an
// aggregate's, a user's application credential's), for a rename too: the write that claimed the
// name later is undone.
import type { KubeClient, KubeObject } from '../../operator/src/kube/client.ts';

/** The objects of a collection (with a label selector) as they were at a revision (resourceVersionMatch=Exact). */
export async function asOfRevision<T>(
  kube: KubeClient,
  collection: string,
  revision: string,
  labelSelector?: string,
): Promise<T[]> {
  const query = { resourceVersion: revision, resourceVersionMatch: 'Exact', labelSelector };
  return (await kube.list<T>(collection, query)).items;
}

/** The revision of the last of a request's writes (they are made one after the other). */
export function revisionOf(written: readonly KubeObject[]): string {
  const revision = written.at(-1)?.metadata.resourceVersion;
  if (!revision) throw new Error('a written object without a resourceVersion');
  return revision;
}

export interface Recheck<T> {
  kube: KubeClient;
  /** The collection the objects were created in (a project namespace's). */
  collection: string;
  /** What of the collection counts (e.g. a user's keypairs); all of it when absent. */
  labelSelector?: string;
  /** What one request created (or wrote), in order. */
  written: readonly T[];
  /** The refusal when the collection as of the creation is over the quota, else undefined. */
  refuse: (asCreated: T[]) => Error | undefined;
  /** Undoes what the request wrote (deletes what it created), as the user. */
  undo: (written: readonly T[]) => Promise<unknown>;
}

/**
 * Recounts as of the write; refused, undoes the request's writes and throws the refusal. A
 * recount that fails (the apiserver unreachable) undoes them too: nothing unchecked stays.
 */
export async function recheckWrite<T extends KubeObject>(r: Recheck<T>): Promise<void> {
  if (r.written.length === 0) return;
  let refusal: Error | undefined;
  try {
    refusal = r.refuse(await asOfRevision<T>(r.kube, r.collection, revisionOf(r.written), r.labelSelector));
  } catch (e) {
    await r.undo(r.written).catch(() => undefined);
    throw e;
  }
  if (!refusal) return;
  await r.undo(r.written);
  throw refusal;
}
