import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { ImageStore, ImageTooLarge } from './store.ts';

const ID = '0a1b2c3d-0000-4000-8000-000000000001';

describe('image store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kova-store-unit-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('hashes (md5, sha512) and counts the data while writing it, then commits', async () => {
    const store = await new ImageStore(dir).open();
    const data = randomBytes(100_000);
    const chunks = [data.subarray(0, 30_000), data.subarray(30_000)];
    const got = await store.write(ID, Readable.from(chunks), async (stored) => {
      expect(await store.busy(ID, 0), 'busy while committing').to.equal(true);
      return stored;
    });
    expect(got).to.deep.equal({
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
      osHashAlgo: 'sha512',
      osHashValue: createHash('sha512').update(data).digest('hex'),
    });
    expect(await store.sizeOf(ID)).to.equal(data.length);
    expect(await store.busy(ID, 0)).to.equal(false);
  });

  it('removes the data when the commit fails', async () => {
    const store = await new ImageStore(dir).open();
    let err: unknown;
    await store
      .write(ID, Readable.from([Buffer.from('x')]), () => Promise.reject(new Error('gone')))
      .catch((e: unknown) => (err = e));
    expect(String(err)).to.include('gone');
    expect(await store.sizeOf(ID)).to.equal(undefined);
  });

  it('fails past the size cap and leaves no file', async () => {
    const store = await new ImageStore(dir, { maxBytes: 1000 }).open();
    let err: unknown;
    await store
      .write(ID, Readable.from([randomBytes(600), randomBytes(600)]), async (s) => s)
      .catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ImageTooLarge);
    expect((await readdir(dir)).filter((f) => !f.startsWith('.'))).to.deep.equal([]);
  });

  it('signs read and upload paths apart with a secret that survives reopening (or is given); a forged signature fails', async () => {
    const a = await new ImageStore(dir).open();
    const b = await new ImageStore(dir).open();
    expect(a.dataPath(ID))
      .to.equal(b.dataPath(ID))
      .and.match(new RegExp(`^/image-data/${ID}/[0-9a-f]{64}$`));
    const sig = a.dataPath(ID).split('/').pop()!;
    expect(b.verify(ID, sig)).to.equal(true);
    expect(b.verify(ID, sig, 'upload')).to.equal(false);
    expect(b.verify(ID, 'f'.repeat(64))).to.equal(false);
    const upload = a.dataPath(ID, 'upload');
    expect(upload).to.match(new RegExp(`^/image-data/${ID}/upload/[0-9a-f]{64}$`));
    expect(b.verify(ID, upload.split('/').pop()!, 'upload')).to.equal(true);
    const other = await mkdtemp(join(tmpdir(), 'kova-store-unit-'));
    expect((await new ImageStore(other).open()).dataPath(ID)).to.not.equal(a.dataPath(ID));
    const given = await new ImageStore(other, { secret: Buffer.alloc(32, 7) }).open();
    expect(given.dataPath(ID)).to.not.equal(a.dataPath(ID));
    await rm(other, { recursive: true });
  });

  it('sweeps part files and files of images not kept, sparing files changed within the grace period', async () => {
    const store = await new ImageStore(dir).open();
    const keep = '0a1b2c3d-0000-4000-8000-000000000002';
    for (const f of [keep, ID, `${keep}.part`]) await writeFile(join(dir, f), 'x');
    expect(await store.sweep((id) => id === keep, 60_000)).to.deep.equal([]);
    expect(await store.busy(keep, 60_000)).to.equal(true);
    const removed = await store.sweep((id) => id === keep, 0);
    expect(removed.sort()).to.deep.equal([ID, `${keep}.part`].sort());
    expect((await readdir(dir)).sort()).to.deep.equal(['.secret', keep]);
  });
});
