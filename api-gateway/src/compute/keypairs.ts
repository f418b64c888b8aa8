// Keypairs (nova/api/openstack/compute/keypairs.py, views/keypairs.py, schemas/keypairs.py).
// A keypair belongs to a user (Nova's user_id), so the Keypair object is cluster-scoped and named
// from (user, name): `kp-<sha256(user/name)>`, which makes a duplicate create fail atomically in
// the apiserver. Generation (no public_key) is allowed up to 2.91, as in Nova; fingerprints are
// the operator's keypair controller's (nova/crypto.py), computed here too so the response has one.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import type { Keypair } from '../../../operator/src/api/v1alpha1/keypair.ts';
import { type ProjectQuota, QUOTA_RESOURCES } from '../../../operator/src/api/v1alpha1/projectquota.ts';
import { PROJECT_QUOTAS } from '../../../operator/src/controllers/projectquota.ts';
import { KEYPAIRS, fingerprint } from '../../../operator/src/controllers/keypair.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import type { Cache } from '../cache.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  kubeError,
  principalOf,
  policyMessage,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import { type Schema, type Versioned, querySchema, validateBody, validateQuery } from '../validation.ts';
import { collectionLinks, limitAndMarker, novaTime, numericId, paginate } from './common.ts';
import { recheckWrite } from '../recheck.ts';

const POLICY = 'os_compute_api:os-keypairs';
export const USER_ID_LABEL = 'compute.kova.io/user-id';

// --- schemas ---
const NAME_20: Schema = {
  allOf: [
    { type: 'string', minLength: 1, maxLength: 255, format: 'name' },
    { type: 'string', minLength: 1, maxLength: 255, format: 'keypair_name_20' },
  ],
};
const NAME_292: Schema = {
  allOf: [
    { type: 'string', minLength: 1, maxLength: 255, format: 'name' },
    { type: 'string', minLength: 1, maxLength: 255, format: 'keypair_name_292' },
  ],
};
const createSchema = (props: Record<string, Schema>, required = ['name']): Schema => ({
  type: 'object',
  properties: {
    keypair: { type: 'object', properties: props, required, additionalProperties: false },
  },
  required: ['keypair'],
  additionalProperties: false,
});
const TYPE: Schema = { type: 'string', enum: ['ssh', 'x509'] };
export const CREATE: Versioned[] = [
  { schema: createSchema({ name: NAME_20, public_key: { type: 'string' } }), max: '2.1' },
  {
    schema: createSchema({ name: NAME_20, type: TYPE, public_key: { type: 'string' } }),
    min: '2.2',
    max: '2.9',
  },
  {
    schema: createSchema({
      name: NAME_20,
      type: TYPE,
      public_key: { type: 'string' },
      user_id: { type: 'string' },
    }),
    min: '2.10',
    max: '2.91',
  },
  {
    schema: createSchema(
      { name: NAME_292, type: TYPE, public_key: { type: 'string' }, user_id: { type: 'string' } },
      ['name', 'public_key'],
    ),
    min: '2.92',
  },
];
const NON_NEGATIVE: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0, minLength: 1 };
export const INDEX_QUERY: Versioned[] = [
  { schema: querySchema({}), max: '2.9' },
  { schema: querySchema({ user_id: { type: 'string' } }), min: '2.10', max: '2.34' },
  {
    schema: querySchema({ user_id: { type: 'string' }, limit: NON_NEGATIVE, marker: { type: 'string' } }),
    min: '2.35',
    max: '2.74',
  },
  {
    schema: querySchema(
      { user_id: { type: 'string' }, limit: NON_NEGATIVE, marker: { type: 'string' } },
      false,
    ),
    min: '2.75',
  },
];
export const SHOW_QUERY: Versioned[] = [
  { schema: querySchema({}), max: '2.9' },
  { schema: querySchema({ user_id: { type: 'string' } }), min: '2.10', max: '2.74' },
  { schema: querySchema({ user_id: { type: 'string' } }, false), min: '2.75' },
];

// --- helpers ---
const supports = (request: FastifyRequest, v: string) => request.microversion?.matches(v) ?? false;

export const keypairObjectName = (userId: string, name: string): string =>
  `kp-${createHash('sha256').update(`${userId}/${name}`).digest('hex').slice(0, 40)}`;

/** A user's keypair by Nova name (for servers' key_name too). */
export function findKeypair(cache: Cache<Keypair>, userId: string, name: string): Keypair | undefined {
  const kp = cache.get(keypairObjectName(userId, name));
  return kp && kp.spec.user === userId && kp.spec.name === name ? kp : undefined;
}

function fingerprintOf(kp: Keypair): string {
  return kp.status?.fingerprint ?? fingerprint(kp.spec.type, kp.spec.publicKey).fingerprint ?? '';
}

export function keypairView(
  kp: Keypair,
  fields: 'index' | 'create' | 'show',
  withType: boolean,
  privateKey?: string,
) {
  const v: Record<string, unknown> = {};
  if (privateKey !== undefined) v.private_key = privateKey;
  if (withType && fields === 'create') v.type = kp.spec.type;
  v.name = kp.spec.name;
  v.public_key = kp.spec.publicKey;
  v.fingerprint = fingerprintOf(kp);
  if (fields !== 'index') v.user_id = kp.spec.user;
  if (fields === 'show') {
    Object.assign(v, {
      created_at: novaTime(kp.metadata.creationTimestamp),
      deleted: false,
      deleted_at: null,
      id: numericId(kp.metadata.uid),
      updated_at: null,
    });
  }
  if (withType && fields !== 'create') v.type = kp.spec.type;
  return v;
}

/** An OpenSSH public key line for an RSA key (ssh-rsa <blob> <comment>). */
function sshRsaPublicKey(jwk: { n?: string; e?: string }, comment: string): string {
  const str = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const mpint = (b64: string) => {
    let b = Buffer.from(b64, 'base64url');
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return str(b);
  };
  const blob = Buffer.concat([str(Buffer.from('ssh-rsa')), mpint(jwk.e!), mpint(jwk.n!)]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

/** A new key as nova/crypto.py makes one: RSA 2048 (ssh), or a self-signed certificate (x509). */
async function generateKey(
  type: 'ssh' | 'x509',
  userId: string,
): Promise<{ publicKey: string; privateKey: string }> {
  if (type === 'ssh') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKey: sshRsaPublicKey(publicKey.export({ format: 'jwk' }), 'Generated-by-Nova'),
    };
  }
  // Node has no certificate builder: the openssl CLI makes the self-signed certificate, with the
  // subject Nova uses (CN=<user id>) and ten years of validity.
  const dir = await mkdtemp(join(tmpdir(), 'kova-x509-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-sha256',
      '-subj',
      `/CN=${userId}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    return {
      privateKey: await readFile(join(dir, 'key.pem'), 'utf8'),
      publicKey: await readFile(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function registerKeypairs(app: FastifyInstance, ctx: GatewayContext): void {
  const cache = (): Promise<Cache<Keypair>> => ctx.caches.get<Keypair>(KEYPAIRS);
  const P = `${COMPUTE_PREFIX}/os-keypairs`;

  /** The user the call is about: the token's, or (2.10+) the user_id query/body an admin may give. */
  function targetUser(p: Principal, requested: string | undefined, action: string): string {
    const userId = requested ?? p.userId;
    if (userId !== p.userId && !p.isAdmin) throw new ApiError(403, policyMessage(`${POLICY}:${action}`));
    return userId;
  }

  const notFound = (name: string, userId: string) =>
    new ApiError(404, `Keypair ${name} not found for user ${userId}`);

  async function readable(p: Principal, verb: 'get' | 'list', action: string): Promise<Cache<Keypair>> {
    await ctx.authorize(p, verb, KEYPAIRS, undefined, `${POLICY}:${action}`);
    return cache();
  }

  app.get(P, async (request) => {
    const p = principalOf(request);
    const q = validateQuery(request, INDEX_QUERY);
    const userId = targetUser(p, supports(request, '2.10') ? q.user_id : undefined, 'index');
    const c = await readable(p, 'list', 'index');
    let items = c
      .list()
      .filter((kp) => kp.spec.user === userId)
      .sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
    const paged = supports(request, '2.35');
    if (paged) {
      const { limit, marker } = limitAndMarker(q);
      try {
        items = paginate(items, (kp) => kp.spec.name, limit, marker);
      } catch {
        throw new ApiError(400, `Marker ${marker} could not be found.`);
      }
    }
    const keypairs = items.map((kp) => ({ keypair: keypairView(kp, 'index', supports(request, '2.2')) }));
    const body: Record<string, unknown> = { keypairs };
    if (paged) {
      const links = collectionLinks(
        request,
        items.map((kp) => ({ id: kp.spec.name })),
        'os-keypairs',
      );
      if (links.length) body.keypairs_links = links;
    }
    return body;
  });

  app.get<{ Params: { name: string } }>(`${P}/:name`, async (request) => {
    const p = principalOf(request);
    const q = validateQuery(request, SHOW_QUERY);
    const userId = targetUser(p, supports(request, '2.10') ? q.user_id : undefined, 'show');
    const kp = findKeypair(await readable(p, 'get', 'show'), userId, request.params.name);
    if (!kp) throw notFound(request.params.name, userId);
    return { keypair: keypairView(kp, 'show', supports(request, '2.2')) };
  });

  app.post(P, async (request, reply) => {
    const p = principalOf(request);
    const body = validateBody<{
      keypair: { name: string; public_key?: string; type?: 'ssh' | 'x509'; user_id?: string };
    }>(request, CREATE).keypair;
    const name = body.name.trim();
    const type = body.type ?? 'ssh';
    const userId = targetUser(p, supports(request, '2.10') ? body.user_id : undefined, 'create');
    const c = await cache();
    // key_pairs: per user, with the limit of the project's quota set (ProjectQuota `default`).
    const quota = (await ctx.caches.get<ProjectQuota>(PROJECT_QUOTAS)).get(`${p.namespace}/default`);
    const limit = quota?.spec.keyPairs ?? QUOTA_RESOURCES.keyPairs.default;
    const owned = c.list().filter((kp) => kp.spec.user === userId).length;
    if (limit >= 0 && owned >= limit) throw new ApiError(403, 'Quota exceeded, too many key pairs.');
    if (findKeypair(c, userId, name)) throw new ApiError(409, `Key pair '${name}' already exists.`);

    let publicKey = body.public_key;
    let privateKey: string | undefined;
    if (publicKey === undefined) {
      ({ publicKey, privateKey } = await generateKey(type, userId));
    }
    const fp = fingerprint(type, publicKey);
    if (!fp.fingerprint) {
      throw new ApiError(400, `Keypair data is invalid: failed to generate fingerprint`);
    }
    const manifest: Keypair = {
      apiVersion: API_VERSION,
      kind: 'Keypair',
      metadata: { name: keypairObjectName(userId, name), labels: { [USER_ID_LABEL]: userId } },
      spec: { name, user: userId, type, publicKey: publicKey.trim() },
    };
    let created: Keypair;
    try {
      created = await ctx.clientFor(p).create(collectionPath(KEYPAIRS), manifest);
    } catch (e) {
      kubeError(e, `${POLICY}:create`, undefined, `Key pair '${name}' already exists.`);
    }
    // CONF.quota.recheck_quota, exact under concurrent creates (recheck.ts).
    if (limit >= 0) {
      await recheckWrite({
        kube: ctx.kube,
        collection: collectionPath(KEYPAIRS),
        labelSelector: `${USER_ID_LABEL}=${userId}`,
        written: [created],
        refuse: (asCreated) =>
          asCreated.length > limit ? new ApiError(403, 'Quota exceeded, too many key pairs.') : undefined,
        undo: () =>
          ctx
            .clientFor(p)
            .delete(objectPath(KEYPAIRS, created.metadata.name!))
            .catch((e: unknown) => kubeError(e, `${POLICY}:create`)),
      });
    }
    await c.observe(created);
    const view = keypairView(created, 'create', supports(request, '2.2'), privateKey);
    view.fingerprint = fp.fingerprint;
    return reply.code(supports(request, '2.2') ? 201 : 200).send({ keypair: view });
  });

  app.delete<{ Params: { name: string } }>(`${P}/:name`, async (request, reply) => {
    const p = principalOf(request);
    const q = validateQuery(request, SHOW_QUERY);
    const userId = targetUser(p, supports(request, '2.10') ? q.user_id : undefined, 'delete');
    const c = await cache();
    const kp = findKeypair(c, userId, request.params.name);
    if (!kp) throw notFound(request.params.name, userId);
    try {
      await ctx.clientFor(p).delete(objectPath(KEYPAIRS, kp.metadata.name!));
    } catch (e) {
      kubeError(e, `${POLICY}:delete`, `Keypair ${request.params.name} not found for user ${userId}`);
    }
    await c.observeDeleted(kp.metadata.name!, kp.metadata.uid);
    return reply.code(supports(request, '2.2') ? 204 : 202).send();
  });
}
