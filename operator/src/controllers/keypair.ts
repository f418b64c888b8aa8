// The keypair controller: a Keypair's status.fingerprint, as Nova computes it
// (nova/crypto.py): MD5 of an OpenSSH key's blob, SHA-1 of an x509 certificate's DER, as
// colon-separated lower-case hex. A key that cannot be read gets a KeyInvalid condition.
import { isDeepStrictEqual } from 'node:util';
import { X509Certificate, createHash } from 'node:crypto';
import { KeypairKind, type Keypair } from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { kovaResource } from '../kube/resources.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Clock } from '../runtime/clock.ts';
import { setCondition } from '../runtime/conditions.ts';

export const KEYPAIRS = kovaResource(KeypairKind);

const colonHex = (digest: Buffer) => [...digest].map((b) => b.toString(16).padStart(2, '0')).join(':');

/** Nova's fingerprint of a public key, or an error message. */
export function fingerprint(
  type: 'ssh' | 'x509',
  publicKey: string,
): { fingerprint?: string; error?: string } {
  try {
    if (type === 'x509') {
      return {
        fingerprint: colonHex(createHash('sha1').update(new X509Certificate(publicKey).raw).digest()),
      };
    }
    const blob = publicKey.trim().split(/\s+/)[1] ?? '';
    const raw = Buffer.from(blob, 'base64');
    // The blob starts with the key type as an SSH string: check it is really there.
    const len = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
    if (
      len <= 0 ||
      len + 4 > raw.length ||
      raw.subarray(4, 4 + len).toString() !== publicKey.trim().split(/\s+/)[0]
    ) {
      return { error: 'Keypair data is invalid: failed to decode the public key' };
    }
    return { fingerprint: colonHex(createHash('md5').update(raw).digest()) };
  } catch (e) {
    return { error: `Keypair data is invalid: ${(e as Error).message}` };
  }
}

export function keypairReconciler(d: {
  client: KubeClient;
  keypairs: { get(k: string): Keypair | undefined };
  clock: Clock;
}) {
  return async (key: string): Promise<void> => {
    const kp = d.keypairs.get(key);
    if (!kp) return;
    const { fingerprint: fp, error } = fingerprint(kp.spec.type, kp.spec.publicKey);
    const now = new Date(d.clock.now()).toISOString();
    const conditions = setCondition(
      kp.status?.conditions,
      error
        ? { type: 'Ready', status: 'False', reason: 'KeyInvalid', message: error }
        : { type: 'Ready', status: 'True', reason: 'Valid', message: '' },
      now,
    );
    const status = { ...(fp ? { fingerprint: fp } : {}), conditions };
    if (isDeepStrictEqual(status, kp.status ?? {})) return;
    await replaceStatus(d.client, KEYPAIRS, kp, status);
  };
}
