// The image store's data URLs (the gateway's directory store, api-gateway/src/image/store.ts):
// what the libvirt agents fetch an image's data from and upload a snapshot's data to. Each path
// carries an HMAC-SHA256 of the image id and its purpose under the store's secret, which the
// gateway and the agents share (a Kubernetes Secret): the signature is the capability, so these
// paths need no Keystone token, and a read URL (in an Image's spec.source.url) cannot upload.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

export type DataPurpose = 'read' | 'upload';

export function dataSignature(secret: Buffer, id: string, purpose: DataPurpose): string {
  return createHmac('sha256', secret).update(`${purpose}\0${id}`).digest('hex');
}

/** The path, under the gateway's URL, of an image's data. */
export function dataPath(secret: Buffer, id: string, purpose: DataPurpose): string {
  const sig = dataSignature(secret, id, purpose);
  return purpose === 'read' ? `/image-data/${id}/${sig}` : `/image-data/${id}/upload/${sig}`;
}

export function verifySignature(
  secret: Buffer,
  id: string,
  purpose: DataPurpose,
  signature: string,
): boolean {
  const want = Buffer.from(dataSignature(secret, id, purpose));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Where the agents reach the store: the gateway's URL and the shared secret. */
export interface ImageStoreAccess {
  url: string;
  secret: Buffer;
}

/** Uploads a file as an image's data (the Image must be queued); the gateway makes it active. */
export async function uploadImageData(store: ImageStoreAccess, id: string, file: string): Promise<void> {
  const size = (await stat(file)).size;
  const res = await fetch(`${store.url.replace(/\/+$/, '')}${dataPath(store.secret, id, 'upload')}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (res.status !== 204) {
    throw new Error(`uploading image ${id} to the image store: ${res.status} ${(await res.text()).trim()}`);
  }
}
