// POST /servers/{id}/action (ServersController's and the server-action extensions' @wsgi.action
// methods): the body's one key names the action; it is validated per microversion
// (actionschemas.ts), Nova's policy is enforced, and the action becomes a ServerAction created
// as the user. The operator checks Nova's state and lock rules (operator/src/compute/actions.ts);
// the answer waits until it accepts (Running/Succeeded) or refuses (Failed: Nova's 409 message).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import {
  ComputeHostKind,
  type ComputeHost,
  type Flavor,
  type Image,
  type ProjectQuota,
  type Server,
  type ServerAction,
  type ServerActionName,
} from '../../../operator/src/api/v1alpha1/index.ts';
import { FLAVORS, IMAGES, SERVERS } from '../../../operator/src/controllers/server.ts';
import { gone } from '../compute/removed.ts';
import { PROJECT_QUOTAS, QUOTA_NAME } from '../../../operator/src/controllers/projectquota.ts';
import { SERVER_ACTIONS, SERVER_UID_LABEL } from '../../../operator/src/controllers/serveraction.ts';
import { resolveFlavor, resolveImage } from '../../../operator/src/compute/server.ts';
import { collectionPath, kovaResource, objectPath } from '../../../operator/src/kube/resources.ts';
import { baseUrl } from '../app.ts';
import {
  COMPUTE_PREFIX,
  IMAGE_PREFIX,
  type GatewayContext,
  type PolicyRule,
  type Principal,
  enforce,
  kubeError,
  principalOf,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { actionKey, validateAction } from './actionschemas.ts';
import { checkActionQuota, limitsOf, usage } from './quota.ts';
import { toBool } from './validation.ts';
import { type ServerViewContext, generatePassword, serverId, showView } from './view.ts';

/** How long an action waits for the operator to accept or refuse it before answering anyway. */
export const ACTION_ACCEPT_TIMEOUT_MS = 10_000;
/** How long a read (console output) or a snapshot waits for its result. */
const ACTION_RESULT_TIMEOUT_MS = 30_000;

const COMPUTE_HOSTS = kovaResource(ComputeHostKind);
const NOT_FOUND = (id: string) => `Instance ${id} could not be found.`;

type Parameters = NonNullable<ServerAction['spec']['parameters']>;
type Body = Record<string, unknown>;

/** Actions that only read from the driver. */
const READ_ACTIONS: ReadonlySet<ServerActionName> = new Set(['consoleOutput', 'diagnostics']);

/**
 * Creates the ServerAction as the user and waits until the operator accepted it (or, with
 * untilDone, finished it). A refusal is Nova's 409 with the operator's message (404 for a server
 * gone meanwhile). Returns the record as last seen.
 */
export async function submitAction(
  ctx: GatewayContext,
  principal: Principal,
  server: Server,
  a: {
    action: ServerActionName;
    policy: string;
    requestId: string;
    parameters?: Parameters;
    untilDone?: boolean;
    /** How Nova answers a refusal with this message, when not with the message and a 409. */
    refusal?: (message: string) => { code?: number; message?: string };
  },
): Promise<ServerAction | undefined> {
  const ns = server.metadata.namespace!;
  let created: ServerAction;
  try {
    created = await ctx.clientFor(principal).create<ServerAction>(collectionPath(SERVER_ACTIONS, ns), {
      apiVersion: API_VERSION,
      kind: 'ServerAction',
      metadata: {
        generateName: `${server.metadata.name!.slice(0, 200)}-${a.action.toLowerCase().replace(/_/g, '-')}-`,
        labels: { [SERVER_UID_LABEL]: server.metadata.uid! },
      },
      spec: {
        server: server.metadata.name!,
        action: a.action,
        requestId: a.requestId,
        user: principal.userId,
        admin: principal.isAdmin,
        ...(a.parameters && Object.keys(a.parameters).length ? { parameters: a.parameters } : {}),
      },
    } as ServerAction);
  } catch (e) {
    kubeError(e, a.policy, NOT_FOUND(serverId(server)));
  }
  const actions = await ctx.caches.get<ServerAction>(SERVER_ACTIONS);
  const key = `${ns}/${created.metadata.name}`;
  const settled = (phase: string | undefined) =>
    a.untilDone ? phase === 'Succeeded' || phase === 'Failed' : phase !== undefined && phase !== 'Pending';
  await actions.waitUntil(
    () => settled(actions.get(key)?.status?.phase),
    a.untilDone ? ACTION_RESULT_TIMEOUT_MS : ACTION_ACCEPT_TIMEOUT_MS,
  );
  const done = actions.get(key);
  // A read (console output, diagnostics) is no instance action in Nova: its record only carried
  // the question to the compute host and the answer back, so once answered it goes.
  if (
    READ_ACTIONS.has(a.action) &&
    (done?.status?.phase === 'Succeeded' || done?.status?.phase === 'Failed')
  ) {
    await ctx
      .clientFor(principal)
      .delete(objectPath(SERVER_ACTIONS, created.metadata.name!, ns))
      .catch((e: unknown) => ctx.log.warn({ err: e, action: key }, 'could not remove an answered read'));
  }
  if (done?.status?.phase === 'Failed') {
    const message = done.status.message ?? `Cannot '${a.action}' instance ${serverId(server)}`;
    const nova = a.refusal?.(message) ?? {};
    throw new ApiError(
      nova.code ?? (/could not be found/.test(message) ? 404 : 409),
      nova.message ?? message,
    );
  }
  return done;
}

/** How one action key maps onto a ServerAction. */
interface ActionDef {
  action: ServerActionName;
  /** Nova's policy name and its default rule. */
  policy: string;
  rule: PolicyRule;
  /** The first microversion that has it (trigger_crash_dump: 2.17). */
  min?: string;
  parameters?: (value: Body, version: APIVersionRequest) => Parameters;
}

const S = (rule: string) => `os_compute_api:servers:${rule}`;
const member = (action: ServerActionName, policy: string, extra: Partial<ActionDef> = {}): ActionDef => ({
  action,
  policy,
  rule: 'project_member',
  ...extra,
});
const admin = (action: ServerActionName, policy: string, extra: Partial<ActionDef> = {}): ActionDef => ({
  action,
  policy,
  rule: 'admin',
  ...extra,
});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Nova's action keys (wsgi.action names) and what they become. */
export const ACTIONS: Record<string, ActionDef> = {
  'os-stop': member('stop', S('stop')),
  'os-start': member('start', S('start')),
  reboot: member('reboot', S('reboot'), {
    parameters: (b) => ({ type: String(b.type).toUpperCase() === 'HARD' ? 'HARD' : 'SOFT' }),
  }),
  pause: member('pause', 'os_compute_api:os-pause-server:pause'),
  unpause: member('unpause', 'os_compute_api:os-pause-server:unpause'),
  suspend: member('suspend', 'os_compute_api:os-suspend-server:suspend'),
  resume: member('resume', 'os_compute_api:os-suspend-server:resume'),
  lock: member('lock', 'os_compute_api:os-lock-server:lock', {
    parameters: (b, v) =>
      v.compare('2.73') >= 0 && str(b.locked_reason) ? { reason: str(b.locked_reason) } : {},
  }),
  unlock: member('unlock', 'os_compute_api:os-lock-server:unlock'),
  rescue: member('rescue', 'os_compute_api:os-rescue', {
    parameters: (b) => (str(b.rescue_image_ref) ? { imageRef: str(b.rescue_image_ref) } : {}),
  }),
  unrescue: member('unrescue', 'os_compute_api:os-unrescue'),
  shelve: member('shelve', 'os_compute_api:os-shelve:shelve'),
  shelveOffload: admin('shelveOffload', 'os_compute_api:os-shelve:shelve_offload'),
  unshelve: member('unshelve', 'os_compute_api:os-shelve:unshelve', {
    parameters: (b, v) => (v.compare('2.91') >= 0 && str(b.host) ? { host: str(b.host) } : {}),
  }),
  resize: member('resize', S('resize'), { parameters: (b) => ({ flavorRef: String(b.flavorRef) }) }),
  confirmResize: member('confirmResize', S('confirm_resize')),
  revertResize: member('revertResize', S('revert_resize')),
  migrate: admin('migrate', 'os_compute_api:os-migrate-server:migrate', {
    parameters: (b) => (str(b.host) ? { host: str(b.host) } : {}),
  }),
  'os-migrateLive': admin('live-migration', 'os_compute_api:os-migrate-server:migrate_live', {
    parameters: (b) => ({
      ...(str(b.host) ? { host: str(b.host) } : {}),
      ...(b.block_migration !== undefined && b.block_migration !== 'auto'
        ? { blockMigration: toBool(b.block_migration) }
        : {}),
    }),
  }),
  evacuate: admin('evacuate', 'os_compute_api:os-evacuate', {
    // 2.95: the evacuated server is stopped at the destination (target_state STOPPED).
    parameters: (b, version) => ({
      ...(str(b.host) ? { host: str(b.host) } : {}),
      ...(version.compare('2.95') >= 0 ? { targetState: 'stopped' as const } : {}),
    }),
  }),
  rebuild: member('rebuild', S('rebuild'), {
    parameters: (b) => ({
      imageRef: String(b.imageRef),
      ...(str(b.name) ? { name: str(b.name) } : {}),
      ...(b.metadata ? { metadata: b.metadata as Record<string, string> } : {}),
    }),
  }),
  createImage: member('createImage', S('create_image'), {
    parameters: (b) => ({
      name: String(b.name),
      ...(b.metadata ? { metadata: b.metadata as Record<string, string> } : {}),
    }),
  }),
  'os-resetState': admin('resetState', 'os_compute_api:os-admin-actions:reset_state', {
    parameters: (b) => ({ state: b.state as 'active' | 'error' }),
  }),
  forceDelete: member('forceDelete', 'os_compute_api:os-deferred-delete:force'),
  restore: member('restore', 'os_compute_api:os-deferred-delete:restore'),
  trigger_crash_dump: member('trigger_crash_dump', S('trigger_crash_dump'), { min: '2.17' }),
  'os-getConsoleOutput': member('consoleOutput', 'os_compute_api:os-console-output', {
    parameters: (b) =>
      b.length === undefined || b.length === null || Number(b.length) < 0 ? {} : { length: Number(b.length) },
  }),
};

/** Actions whose controllers answer a driver's NotImplementedError with Nova's 501. */
const NOT_IMPLEMENTED_501 = new Set<ServerActionName>([
  'pause',
  'unpause',
  'rescue',
  'unrescue',
  'consoleOutput',
]);

/**
 * How Nova's API answers an operator refusal other than with its 409: CannotResizeToSameFlavor is
 * a 400, the unlock_override policy a 403, a driver without the operation a 501
 * (common.raise_feature_not_supported) where the controller expects one.
 */
export function refusalStatus(
  action: ServerActionName,
  message: string,
): { code?: number; message?: string } {
  if (/must change flavor/.test(message)) return { code: 400 };
  if (/^Policy doesn't allow/.test(message)) return { code: 403 };
  if (/is not supported by the \S+ driver/.test(message) && NOT_IMPLEMENTED_501.has(action)) {
    return { code: 501, message: 'The requested functionality is not supported.' };
  }
  return {};
}

/** What the action routes need from the servers module. */
export interface ServerAccess {
  findServer(principal: Principal, id: string, verb?: 'get' | 'update'): Promise<Server>;
  viewContext(request: FastifyRequest, principal: Principal): Promise<ServerViewContext>;
  /** A merge patch written as the user, seen by the cache when it returns. */
  patchServer(principal: Principal, s: Server, patch: unknown, action: string): Promise<Server>;
}

export type ActionRequest = FastifyRequest<{ Params: { id: string }; Body: unknown }>;
type Req = ActionRequest;

/**
 * An action key the gateway answers itself, with no ServerAction (changePassword, the console
 * actions, the security group actions, createBackup): it validates, checks policy and answers.
 */
export type OwnAction = (
  request: ActionRequest,
  reply: FastifyReply,
  version: APIVersionRequest,
) => Promise<unknown>;

export function registerServerActions(
  app: FastifyInstance,
  ctx: GatewayContext,
  access: ServerAccess,
  own: Record<string, OwnAction> = {},
): void {
  app.post(`${COMPUTE_PREFIX}/servers/:id/action`, async (request: Req, reply: FastifyReply) => {
    const principal = principalOf(request);
    const version = request.microversion ?? APIVersionRequest.parse('2.1');
    const key = actionKey(request.body);
    // admin_actions.py: the nova-network action is removed, before any lookup or policy.
    if (key === 'resetNetwork') throw gone();
    if (Object.hasOwn(own, key)) return own[key]!(request, reply, version);
    const def = ACTIONS[key];
    if (!def) throw new ApiError(400, `There is no such action: ${key}`);
    if (def.min && version.compare(def.min) < 0) throw new ApiError(404, 'The resource could not be found.');
    validateAction(version, key, request.body);
    const value = ((request.body as Body)[key] ?? {}) as Body;
    // As Nova's controllers: the instance first (404), then the policy on it (403); the
    // ServerAction is then created as the user, so RBAC has the last word.
    const server = await access.findServer(principal, request.params.id);
    enforce(principal, def.policy, def.rule);
    if (def.action === 'unshelve' && value.host !== undefined && value.host !== null) {
      enforce(principal, 'os_compute_api:os-shelve:unshelve_to_host', 'admin');
    }
    const parameters = def.parameters?.(value, version);
    await precheck(def.action, parameters);
    await quotaCheck(def.action, server, parameters);

    const record = await submitAction(ctx, principal, server, {
      action: def.action,
      policy: def.policy,
      requestId: request.id,
      parameters,
      untilDone: def.action === 'consoleOutput' || def.action === 'createImage',
      refusal: (m) => refusalStatus(def.action, m),
    });
    return answer(request, reply, def.action, server, record, version, value, principal);
  });

  /** What Nova's API checks before calling compute: the flavor, image and host references exist. */
  async function precheck(action: ServerActionName, p: Parameters | undefined): Promise<void> {
    if (p?.host !== undefined && ['migrate', 'live-migration', 'evacuate', 'unshelve'].includes(action)) {
      const hosts = await ctx.caches.get<ComputeHost>(COMPUTE_HOSTS);
      if (!hosts.get(p.host)) {
        // ComputeHostNotFound: 400, except evacuate's own 404.
        if (action === 'evacuate') throw new ApiError(404, `Compute host ${p.host} not found.`);
        throw new ApiError(400, `Compute host ${p.host} could not be found.`);
      }
    }
    if (action === 'resize') {
      const flavors = await ctx.caches.get<Flavor>(FLAVORS);
      if (!resolveFlavor(p!.flavorRef!, flavors.list())) {
        throw new ApiError(400, 'Unable to locate requested flavor.');
      }
    }
    if (action === 'rebuild' || (action === 'rescue' && p?.imageRef)) {
      const images = await ctx.caches.get<Image>(IMAGES);
      if (!resolveImage(p!.imageRef!, images.list())) {
        throw new ApiError(400, 'Cannot find requested image');
      }
    }
  }

  /** Nova's quota checks of resize, revert_resize and restore (quota.ts checkActionQuota). */
  async function quotaCheck(action: ServerActionName, server: Server, p: Parameters | undefined) {
    if (!['resize', 'revertResize', 'restore'].includes(action)) return;
    const [flavors, servers, quotas] = await Promise.all([
      ctx.caches.get<Flavor>(FLAVORS),
      ctx.caches.get<Server>(SERVERS),
      ctx.caches.get<ProjectQuota>(PROJECT_QUOTAS),
    ]);
    const namespace = server.metadata.namespace!;
    checkActionQuota(
      action,
      server,
      {
        limits: limitsOf(quotas.get(`${namespace}/${QUOTA_NAME}`)),
        used: usage(namespace, servers.list(), flavors.list()),
      },
      p?.flavorRef ? resolveFlavor(p.flavorRef, flavors.list())?.spec : undefined,
    );
  }

  async function answer(
    request: FastifyRequest,
    reply: FastifyReply,
    action: ServerActionName,
    server: Server,
    record: ServerAction | undefined,
    version: APIVersionRequest,
    value: Body,
    principal: Principal,
  ): Promise<unknown> {
    switch (action) {
      case 'consoleOutput':
        // A result not there in time answers as Nova when the driver gives none.
        return reply.code(200).send({ output: record?.status?.output ?? '' });
      case 'confirmResize':
        return reply.code(204).send();
      case 'rescue':
        // CONF.api.enable_instance_password (default True): the rescue password.
        return reply.code(200).send({ adminPass: str(value.adminPass) ?? generatePassword() });
      case 'evacuate':
        if (version.compare('2.14') >= 0) return reply.code(200).send();
        return reply.code(200).send({ adminPass: str(value.adminPass) ?? generatePassword() });
      case 'createImage': {
        const id = await snapshotId(ctx, server, record);
        if (version.compare('2.45') >= 0) return reply.code(202).send({ image_id: id });
        if (id) reply.header('Location', `${baseUrl(request)}${IMAGE_PREFIX}/images/${id}`);
        return reply.code(202).send();
      }
      case 'rebuild': {
        // compute.API.rebuild updates the instance's name, metadata and description itself.
        const changes = {
          ...(value.name !== undefined ? { name: value.name } : {}),
          ...(value.metadata !== undefined ? { metadata: value.metadata } : {}),
          ...(value.description !== undefined ? { description: value.description } : {}),
        };
        let latest = await access.findServer(principal, serverId(server));
        if (Object.keys(changes).length) {
          latest = await access.patchServer(principal, latest, { spec: changes }, ACTIONS.rebuild!.policy);
        }
        const view = showView(await access.viewContext(request, principal), latest, {
          full: version.compare('2.75') >= 0,
        }) as Body;
        return reply
          .code(202)
          .send({ server: { ...view, adminPass: str(value.adminPass) ?? generatePassword() } });
      }
      default:
        return reply.code(202).send();
    }
  }
}

/** The Image the snapshot made: the newest of this server's with the action's name. */
export async function snapshotId(
  ctx: GatewayContext,
  server: Server,
  record: ServerAction | undefined,
): Promise<string | undefined> {
  if (record?.status?.phase !== 'Succeeded') return undefined;
  const images = await ctx.caches.get<Image>(IMAGES);
  const name = record.spec.parameters?.name;
  const since = record.metadata.creationTimestamp ?? '';
  const mine = () =>
    images
      .list()
      .filter(
        (i) =>
          i.spec.properties?.instance_uuid === serverId(server) &&
          i.spec.name === name &&
          (i.metadata.creationTimestamp ?? '') >= since,
      )
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
  await images.waitUntil(() => mine().length > 0, ACTION_ACCEPT_TIMEOUT_MS);
  return mine()[0]?.metadata.uid;
}
