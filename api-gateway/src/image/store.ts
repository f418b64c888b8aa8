// The gateway's image store (Glance's "file" store): one file per image, <dir>/<image id>, written
// as <id>.part while the data streams in and renamed into place only once it is complete, so a file
// named after an image is always whole. The libvirt agents fetch it over HTTP from the gateway at a
// signed path (operator/src/compute/imagedata.ts: /image-data/<id>/<HMAC>), and upload snapshots
// to another: the signature is the capability, unguessable without the store's secret (shared with
// the agents, or kept in <dir>/.secret, created once), so these paths need no Keystone token and an
// image's URL stays valid across gateway restarts.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { chmod, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type DataPurpose, dataPath, verifySignature } from '../../../operator/src/compute/imagedata.ts';

/** What Glance records about stored data. */
export interface StoredData {
  size: number;
  /** MD5 hex (checksum). */
  checksum: string;
  osHashAlgo: 'sha512';
  osHashValue: string;
}

/** The data is larger than the store accepts (Glance's image_size_cap). */
export class ImageTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`Image exceeds the storage limit of ${limit} bytes.`);
    this.name = 'ImageTooLarge';
    this.limit = limit;
  }
}

const ID = /^[0-9a-f-]{36}$/;
const SECRET = '.secret';
const PART = '.part';

/** Counts and hashes (md5, sha512) a stream as it passes; fails past limit bytes. */
export class HashingCounter extends Transform {
  size = 0;
  private readonly md5 = createHash('md5');
  private readonly sha512 = createHash('sha512');
  private readonly limit: number;

  constructor(limit = Number.POSITIVE_INFINITY) {
    super();
    this.limit = limit;
  }

  override _transform(
    chunk: Buffer,
    _enc: BufferEncoding,
    done: (err?: Error | null, data?: Buffer) => void,
  ) {
    this.size += chunk.length;
    if (this.size > this.limit) return done(new ImageTooLarge(this.limit));
    this.md5.update(chunk);
    this.sha512.update(chunk);
    done(null, chunk);
  }

  result(): StoredData {
    return {
      size: this.size,
      checksum: this.md5.digest('hex'),
      osHashAlgo: 'sha512',
      osHashValue: this.sha512.digest('hex'),
    };
  }
}

export class ImageStore {
  readonly dir: string;
  /** Largest image accepted, bytes (Glance's image_size_cap, default 1 TiB). */
  readonly maxBytes: number;
  private secret: Buffer = Buffer.alloc(0);
  /** Image ids whose data is being written by this process. */
  private readonly writing = new Set<string>();

  constructor(dir: string, options: { maxBytes?: number; secret?: Buffer } = {}) {
    this.dir = dir;
    this.maxBytes = options.maxBytes ?? 2 ** 40;
    if (options.secret) {
      if (options.secret.length < 32) throw new Error('the image store secret needs at least 32 bytes');
      this.secret = options.secret;
    }
  }

  /** Creates the directory and, unless one was given, the URL-signing secret (once; it survives restarts). */
  async open(): Promise<this> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (this.secret.length) return this;
    const file = join(this.dir, SECRET);
    const existing = await readFile(file).catch(() => undefined);
    if (existing && existing.length >= 32) this.secret = existing;
    else {
      this.secret = randomBytes(32);
      await writeFile(`${file}${PART}`, this.secret, { mode: 0o600 });
      await rename(`${file}${PART}`, file);
    }
    return this;
  }

  private path(id: string): string {
    if (!ID.test(id)) throw new Error(`not an image id: ${id}`);
    return join(this.dir, id);
  }

  /** The path, relative to the gateway's URL, of an image's data (read: what the agents fetch). */
  dataPath(id: string, purpose: DataPurpose = 'read'): string {
    return dataPath(this.secret, id, purpose);
  }

  verify(id: string, signature: string, purpose: DataPurpose = 'read'): boolean {
    return verifySignature(this.secret, id, purpose, signature);
  }

  /** The stored data's size, or undefined when the image has none. */
  async sizeOf(id: string): Promise<number | undefined> {
    if (!ID.test(id)) return undefined;
    return (await stat(this.path(id)).catch(() => undefined))?.size;
  }

  read(id: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.path(id), range);
  }

  /**
   * Streams data into the image's file, hashing as it goes: <id>.part, flushed to disk, renamed,
   * then `commit` (recording the data on the Image) runs while the id is still marked as being
   * written, so no sweep takes the file meanwhile. Any failure (a client that goes away,
   * ImageTooLarge, a failed commit) removes the data.
   */
  async write<T>(id: string, data: Readable, commit: (stored: StoredData) => Promise<T>): Promise<T> {
    const final = this.path(id);
    const part = final + PART;
    if (this.writing.has(id)) throw new Error(`image ${id} is being written already`);
    this.writing.add(id);
    const counter = new HashingCounter(this.maxBytes);
    try {
      await pipeline(data, counter, createWriteStream(part, { mode: 0o600 }));
      const fh = await open(part, 'r');
      await fh.sync().finally(() => fh.close());
      await rename(part, final);
      return await commit(counter.result());
    } catch (err) {
      await rm(part, { force: true });
      await rm(final, { force: true });
      throw err;
    } finally {
      this.writing.delete(id);
    }
  }

  /** Whether the image's data is being written: here, or by another gateway (a fresh part file). */
  async busy(id: string, graceMs: number, now = Date.now()): Promise<boolean> {
    if (this.writing.has(id)) return true;
    const st = await stat(this.path(id) + PART).catch(() => undefined);
    return st !== undefined && graceMs > 0 && now - st.mtimeMs < graceMs;
  }

  async remove(id: string): Promise<void> {
    if (ID.test(id)) await rm(this.path(id), { force: true });
  }

  /**
   * The sweep (at start and periodically): removes part files no write owns (a crash mid-upload)
   * and every data file whose image is not one `keep` names (deleted meanwhile, or never made
   * active). Files changed within graceMs are left alone: another gateway replica sharing the
   * volume may be writing them. Returns the file names removed.
   */
  async sweep(keep: (id: string) => boolean, graceMs = 0, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (name.startsWith('.')) continue;
      const id = name.endsWith(PART) ? name.slice(0, -PART.length) : name;
      if (this.writing.has(id)) continue;
      if (!name.endsWith(PART) && keep(id)) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      // (No grace: even a file whose mtime is a tick ahead of this clock goes.)
      if (!st || (graceMs > 0 && now - st.mtimeMs < graceMs)) continue;
      await rm(join(this.dir, name), { force: true });
      removed.push(name);
    }
    await chmod(this.dir, 0o700).catch(() => undefined);
    return removed;
  }
}
