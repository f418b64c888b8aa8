// Remembers, per object, the resourceVersion a controller last wrote *from*, so that a reconcile
// running on a cache that has not yet caught up with that write can be skipped instead of acting
// twice and failing with 409 Conflict (client-go controllers call these "expectations"). The
// write's own watch event brings the key back once the cache has it.
import type { KubeObject } from '../kube/client.ts';
import { keyOf } from '../kube/resources.ts';

export class WriteTracker {
  private readonly writtenFrom = new Map<string, string>();

  /** Records that obj (as read) was replaced by a write. */
  wrote(obj: KubeObject): void {
    if (obj.metadata.resourceVersion) this.writtenFrom.set(keyOf(obj), obj.metadata.resourceVersion);
  }

  /** Whether obj is the version this controller already wrote over (the cache is behind). */
  isStale(obj: KubeObject): boolean {
    const key = keyOf(obj);
    const from = this.writtenFrom.get(key);
    if (from === undefined) return false;
    if (from === obj.metadata.resourceVersion) return true;
    this.writtenFrom.delete(key); // the cache has moved past our write
    return false;
  }

  forget(obj: KubeObject): void {
    this.writtenFrom.delete(keyOf(obj));
  }
}
