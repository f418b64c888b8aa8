// The node's image cache (nova/virt/libvirt/imagebackend.py, imagecache.py): each image is
// fetched once into <stateDir>/_base/<sha1 of its id>, its checksum verified, and instances boot
// from qcow2 copy-on-write overlays on that base. Bases no instance uses any more are removed
// after a minimum age (remove_unused_original_minimum_age_seconds).
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { Image } from '../../api/v1alpha1/index.ts';

const run = promisify(execFile);

export interface CachedImage {
  path: string;
  format: 'raw' | 'qcow2';
  /** Bytes. */
  virtualSize: number;
}

/** A fetch or checksum failure: the build is rescheduled elsewhere. */
export class ImageFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFetchError';
  }
}

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export async function qemuImgInfo(path: string): Promise<{ format: string; virtualSize: number }> {
  const { stdout } = await run('qemu-img', ['info', '-U', '--output', 'json', path]);
  const info = JSON.parse(stdout) as { format: string; 'virtual-size': number };
  return { format: info.format, virtualSize: info['virtual-size'] };
}

export class ImageCache {
  readonly dir: string;
  private readonly fetching = new Map<string, Promise<CachedImage>>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, '_base');
  }

  /** The base file name of an image (Nova: sha1 of the image id). */
  baseName(image: Image): string {
    return createHash('sha1').update(image.metadata.uid!).digest('hex');
  }

  /** The image's base file, fetched now if it is not cached yet; one fetch per image at a time. */
  fetch(image: Image): Promise<CachedImage> {
    const name = this.baseName(image);
    let p = this.fetching.get(name);
    if (!p) {
      p = this.fetchOnce(image, name).finally(() => this.fetching.delete(name));
      this.fetching.set(name, p);
    }
    return p;
  }

  private async fetchOnce(image: Image, name: string): Promise<CachedImage> {
    const path = join(this.dir, name);
    const cached = await stat(path).catch(() => undefined);
    if (!cached) {
      await mkdir(this.dir, { recursive: true, mode: 0o755 });
      await chmod(this.dir, 0o755);
      const tmp = `${path}.part`;
      const src = image.spec.source;
      try {
        if (src?.nodePath) await copyFile(src.nodePath, tmp);
        else if (src?.url?.startsWith('file://')) await copyFile(new URL(src.url), tmp);
        else if (src?.url) {
          const res = await fetch(src.url);
          if (!res.ok || !res.body) throw new Error(`GET ${src.url}: ${res.status}`);
          await pipeline(Readable.fromWeb(res.body), createWriteStream(tmp));
        } else throw new Error('it has no source a libvirt node can read (url or nodePath)');
        const want = image.status?.checksum;
        if (want) {
          const got = await md5File(tmp);
          if (got !== want) throw new Error(`checksum ${got} is not the image's ${want}`);
        }
        // Shared read-only by every instance of the image (and QEMU's own user).
        await chmod(tmp, 0o644);
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new ImageFetchError(`image ${image.metadata.name}: ${(err as Error).message}`);
      }
    }
    if (['aki', 'ari'].includes(image.spec.diskFormat)) return { path, format: 'raw', virtualSize: 0 };
    const info = await qemuImgInfo(path);
    if (info.format !== 'raw' && info.format !== 'qcow2') {
      throw new ImageFetchError(`image ${image.metadata.name}: ${info.format} images are not supported`);
    }
    return { path, format: info.format, virtualSize: info.virtualSize };
  }

  /**
   * Removes bases no instance uses (inUse: base file names) that were last used longer than
   * minAgeSeconds ago. Returns the names removed.
   */
  async cleanup(inUse: ReadonlySet<string>, minAgeSeconds: number, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (inUse.has(name) || name.endsWith('.part') || this.fetching.has(name)) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (!st || now - st.mtimeMs < minAgeSeconds * 1000) continue;
      await rm(join(this.dir, name), { force: true });
      removed.push(name);
    }
    return removed;
  }
}
