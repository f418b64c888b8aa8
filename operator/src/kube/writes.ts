// Writes that controllers make, each guarded by the object's resourceVersion (a stale cache
// gets 409 Conflict and the controller retries on fresh data) and each one request.
import type { KubeClient, KubeObject } from './client.ts';
import { type Resource, objectPath } from './resources.ts';

/** Replaces obj's status (PUT /status), if obj is unchanged since it was read. */
export function replaceStatus<T extends KubeObject & { status?: unknown }>(
  client: KubeClient,
  r: Resource,
  obj: T,
  status: NonNullable<T['status']>,
): Promise<T> {
  const { name, namespace } = obj.metadata;
  return client.replace<T>(objectPath(r, name!, namespace, 'status'), { ...obj, status });
}

/** Merge-patches fields of obj's status that only the caller writes (no resourceVersion needed). */
export function patchStatus<T extends KubeObject>(
  client: KubeClient,
  r: Resource,
  obj: T,
  status: object,
): Promise<T> {
  const { name, namespace } = obj.metadata;
  return client.patch<T>(objectPath(r, name!, namespace, 'status'), { status });
}

/** Adds or removes a finalizer (PUT of the object), if obj is unchanged since it was read. */
export function setFinalizer<T extends KubeObject>(
  client: KubeClient,
  r: Resource,
  obj: T,
  finalizer: string,
  present: boolean,
): Promise<T> {
  const current = obj.metadata.finalizers ?? [];
  const finalizers = present ? [...new Set([...current, finalizer])] : current.filter((f) => f !== finalizer);
  const { name, namespace } = obj.metadata;
  return client.replace<T>(objectPath(r, name!, namespace), {
    ...obj,
    metadata: { ...obj.metadata, finalizers },
  });
}

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}
