// The gateway in-process on a test control plane, listening on a loopback port, with helpers to
// create users/projects and to call it as a user.
import type { KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type Gateway, createGateway } from '../../api-gateway/src/gateway.ts';
import type { Role } from '../../api-gateway/src/context.ts';
import type { ControlPlane } from './controlplane.ts';

export interface TestGateway {
  gateway: Gateway;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The Keystone auth URL clients use. */
  authUrl: string;
  close(): Promise<void>;
  /** Creates a user with a role on a project (created if missing). */
  addUser(
    name: string,
    password: string,
    project: string,
    role: Role,
  ): Promise<{ userId: string; projectId: string }>;
  /** A project-scoped token. */
  token(user: string, password: string, project: string): Promise<string>;
  /** Calls the gateway with a token; parses JSON bodies. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
  ): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startGateway(
  cp: ControlPlane,
  options: {
    bootstrap?: { user: string; password: string; project: string };
    /** Run as this identity instead of the control plane's admin. */
    kubeConfig?: KubeConfig;
    applyRbac?: boolean;
    /** The image store (default: a temporary directory removed on close). */
    imageStore?: { dir: string; url?: string; maxBytes?: number; graceMs?: number };
  } = {},
): Promise<TestGateway> {
  const tmpStore = options.imageStore ? undefined : await mkdtemp(join(tmpdir(), 'kova-images-'));
  const gateway = await createGateway({
    imageStore: options.imageStore ?? { dir: tmpStore! },
    kubeConfig: options.kubeConfig ?? cp.kubeConfig,
    applyRbac: options.applyRbac,
    log: pino({ level: process.env.GATEWAY_LOG ?? 'silent' }),
    bootstrap: options.bootstrap,
  });
  const url = (await gateway.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  const call: TestGateway['call'] = async (method, path, o = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(o.token ? { 'X-Auth-Token': o.token } : {}),
        ...(o.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...o.headers,
      },
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    gateway,
    url,
    authUrl: `${url}/identity/v3`,
    async close() {
      await gateway.close();
      if (tmpStore) await rm(tmpStore, { recursive: true, force: true });
    },
    call,
    async addUser(name, password, projectName, role) {
      const id = gateway.ctx.identity;
      const project = id.projectByName(projectName) ?? (await id.createProject({ name: projectName }));
      const user = id.userByName(name) ?? (await id.createUser({ name, password }));
      await id.assignRole(user.id, project, role);
      return { userId: user.id, projectId: project.id };
    },
    async token(user, password, project) {
      const res = await call('POST', '/identity/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: user, domain: { id: 'default' }, password } },
            },
            scope: { project: { name: project, domain: { id: 'default' } } },
          },
        },
      });
      if (res.status !== 201) throw new Error(`token for ${user}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.headers.get('x-subject-token')!;
    },
  };
}
