// BENCH image_upload_mb_per_s: PUT /image/v2/images/{id}/file of a 256 MiB image through the
// gateway (streamed into the image store while md5 and sha512 are computed), on a real apiserver.
// BENCH image_download_mb_per_s: GET .../file of the same image.
// BENCH image_upload_rss_growth_mb: how much the gateway process's resident memory grew during the
// upload: the data streams, so the goal is a small constant, not the image's size.
import { Readable } from 'node:stream';
import { ControlPlane } from '../../e2e/harness/controlplane.ts';
import { startGateway } from '../../e2e/harness/gateway.ts';

const MIB = 2 ** 20;
const SIZE_MIB = Number(process.env.BENCH_IMAGE_MIB ?? 256);

const cp = await ControlPlane.start();
try {
  const gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
  const token = await gw.token('admin', 'secret', 'admin');
  const created = await gw.call('POST', '/image/v2/images', { token, body: { name: 'bench' } });
  if (created.status !== 201) throw new Error(`create: ${created.status}`);
  const id = created.body.id as string;

  const chunk = Buffer.alloc(MIB, 7);
  const body = Readable.from(
    (function* () {
      for (let i = 0; i < SIZE_MIB; i++) yield chunk;
    })(),
  );
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
  let t = performance.now();
  const put = await fetch(`${gw.url}/image/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
    body: Readable.toWeb(body) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const uploadS = (performance.now() - t) / 1000;
  clearInterval(sampler);
  if (put.status !== 204) throw new Error(`upload: ${put.status} ${await put.text()}`);

  t = performance.now();
  const get = await fetch(`${gw.url}/image/v2/images/${id}/file`, { headers: { 'X-Auth-Token': token } });
  let bytes = 0;
  for await (const c of get.body as unknown as AsyncIterable<Uint8Array>) bytes += c.length;
  const downloadS = (performance.now() - t) / 1000;
  if (bytes !== SIZE_MIB * MIB) throw new Error(`download: ${bytes} bytes`);

  console.log(`BENCH image_upload_mb_per_s=${Math.round(SIZE_MIB / uploadS)} MB/s`);
  console.log(`BENCH image_download_mb_per_s=${Math.round(SIZE_MIB / downloadS)} MB/s`);
  console.log(`BENCH image_upload_rss_growth_mb=${Math.round((rssPeak - rssBefore) / MIB)} MB`);
  await gw.close();
} finally {
  await cp.stop();
}
