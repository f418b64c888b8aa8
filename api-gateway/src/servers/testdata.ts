// A Server object as the operator leaves it once ACTIVE, for the view and query unit tests.
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { ApiError } from '../errors.ts';

export const SERVER_UID = '8a2e2f8e-4b7c-4f0e-9d7a-1c2b3d4e5f60';

/** An ACTIVE server with two addresses, a flavor copy and a launch time. */
export function activeServer(overrides: Partial<Server['spec']> = {}): Server {
  return {
    apiVersion: 'compute.kova.io/v1alpha1',
    kind: 'Server',
    metadata: {
      name: 'web-abcde',
      namespace: 'proj-a',
      uid: SERVER_UID,
      creationTimestamp: '2026-11-24T10:00:00Z',
      annotations: { 'compute.kova.io/user-id': 'alice' },
      labels: { 'compute.kova.io/reservation-id': 'r-abcdefgh' },
      managedFields: [{ manager: 'kova', time: '2026-11-24T10:05:00Z' }],
    },
    spec: {
      name: 'web',
      flavorRef: 'm1.small',
      imageRef: 'img-uid',
      keyName: 'mykey',
      configDrive: false,
      locked: false,
      powerState: 'running',
      networks: { allocation: 'auto' },
      metadata: { role: 'web' },
      ...overrides,
    },
    status: {
      vmState: 'active',
      powerState: 'running',
      status: 'ACTIVE',
      host: 'node-1',
      flavor: {
        id: '2',
        name: 'm1.small',
        vcpus: 1,
        ram: 2048,
        disk: 20,
        ephemeral: 0,
        swap: 0,
        extraSpecs: { 'hw:cpu_policy': 'shared' },
      },
      image: { id: 'img-uid', name: 'cirros' },
      addresses: [
        { network: 'private', version: 4, addr: '10.0.0.5', type: 'fixed', macAddr: 'fa:16:3e:00:00:01' },
        { network: 'private', version: 6, addr: 'fd00::5', type: 'fixed', macAddr: 'fa:16:3e:00:00:01' },
      ],
      launchedAt: '2026-11-24T10:01:00Z',
    },
  } as Server;
}

/** The ApiError fn throws (failing the test when it throws nothing or something else). */
export function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError, nothing was thrown');
}
