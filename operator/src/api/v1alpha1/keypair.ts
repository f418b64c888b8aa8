// Keypair: Nova's key pair (nova/objects/keypair.py, schemas/keypairs.py). Cluster-scoped, because
// in Nova a keypair belongs to a user, not a project: a user sees their keypairs from every project.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { cel, conditions, immutable, stringEnum } from '../schema.ts';

/** Nova 2.92's keypair name characters (a superset of the older `[a-zA-Z0-9 _-]`). */
const KEYPAIR_NAME_PATTERN = '^[a-zA-Z0-9 _@.-]+$';
const SSH_KEY_PREFIX =
  '^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\\\\.com) ';

export const KeypairSpec = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: KEYPAIR_NAME_PATTERN,
      description: "Nova's keypair name: letters, digits, space, _ - @ . (1-255); unique per user.",
      ...cel(immutable('name')),
    }),
    user: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'The user who owns the keypair (user_id).',
      ...cel(immutable('user')),
    }),
    type: stringEnum(['ssh', 'x509'] as const, {
      default: 'ssh',
      description: 'ssh (an OpenSSH public key) or x509 (a PEM certificate), as in microversion 2.2.',
      ...cel(immutable('type')),
    }),
    publicKey: Type.String({
      minLength: 1,
      maxLength: 16384,
      description: 'The public key (OpenSSH format) or certificate (PEM).',
      ...cel(immutable('publicKey')),
    }),
  },
  {
    ...cel(
      {
        rule: `self.type != 'ssh' || self.publicKey.matches('${SSH_KEY_PREFIX}')`,
        message:
          'publicKey is not an OpenSSH public key (ssh-rsa, ssh-ed25519, ecdsa-sha2-... followed by the key)',
        fieldPath: '.publicKey',
      },
      {
        rule: "self.type != 'x509' || self.publicKey.startsWith('-----BEGIN CERTIFICATE-----')",
        message: 'publicKey is not a PEM certificate (-----BEGIN CERTIFICATE-----)',
        fieldPath: '.publicKey',
      },
    ),
  },
);

export const KeypairStatus = Type.Object({
  fingerprint: Type.Optional(
    Type.String({ description: "The key's fingerprint as Nova computes it (MD5 for ssh, SHA-1 for x509)." }),
  ),
  conditions: Type.Optional(conditions()),
});

export const KeypairKind = defineKind({
  kind: 'Keypair',
  plural: 'keypairs',
  singular: 'keypair',
  scope: 'Cluster',
  shortNames: ['kp'],
  description:
    'A Nova keypair: a public key injected into servers at boot. Owned by a user; its creation time is metadata.creationTimestamp.',
  spec: KeypairSpec,
  status: KeypairStatus,
  printerColumns: [
    { name: 'Keypair', type: 'string', jsonPath: '.spec.name' },
    { name: 'User', type: 'string', jsonPath: '.spec.user' },
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Fingerprint', type: 'string', jsonPath: '.status.fingerprint' },
  ],
});

export type Keypair = ObjectOf<typeof KeypairKind>;
