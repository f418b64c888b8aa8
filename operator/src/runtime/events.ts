// Kubernetes Events (events.k8s.io/v1) about Kova objects: Nova's notifications, for kubectl
// users (`kubectl describe`, `kubectl events`). Best effort: a failed event is logged, never fatal.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { microTime } from '../kube/lease.ts';
import { EVENTS, collectionPath } from '../kube/resources.ts';
import { type Clock, realClock } from './clock.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: KubeClient;
  controller: string; // reportingController, e.g. compute.kova.io/operator
  instance: string; // reportingInstance: this process
  log: Logger;
  clock?: Clock;
}

export class EventRecorder {
  private readonly options: EventRecorderOptions;
  private readonly clock: Clock;

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
  }

  /** Records an event about obj; cluster-scoped objects' events go to the default namespace. */
  event(obj: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    const namespace = obj.metadata.namespace ?? 'default';
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      eventTime: microTime(this.clock.now()),
      reportingController: this.options.controller,
      reportingInstance: this.options.instance,
      action,
      reason,
      type,
      note: note.slice(0, 1024),
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
    };
    this.options.client.create(collectionPath(EVENTS, namespace), body).catch((err: unknown) => {
      this.options.log.warn({ err, reason, object: obj.metadata.name }, 'could not record event');
    });
  }
}
