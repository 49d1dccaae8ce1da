// An optional on-disk cache of decoded clips: raw uint8 RGB frames keyed by the source file (path, mtime, size) and the
// exact decode request, so a changed file or a different request never reads a stale entry. Worth it where the same
// request repeats: evaluation every epoch, predict on the same files. (Training draws new starts each epoch, so its hit
// rate is low; a request is at the source's size, so scale and crop do not split entries.) Entries are written atomically (`<file>.tmp-<pid>`, then rename), so a crash or a
// second process never leaves a half-written entry; a hit touches the entry's mtime, and past `maxBytes` the entries
// with the oldest mtime are deleted first (LRU).
//
// Entry file: 'CVC1' | uint32 LE header length | header JSON {frames, width, height, repeatedLast} | [frames, H, W, 3] bytes.

import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as nodePath from 'path';
import { Frames } from './transforms';

export interface CachedClip extends Frames {
  repeatedLast: number;
}

export interface ClipCacheOptions {
  dir: string;
  /** Size cap of the whole cache folder (default 4 GiB). */
  maxBytes?: number;
}

export interface ClipCacheStats {
  hits: number;
  misses: number;
  writes: number;
  evicted: number;
}

const MAGIC = Buffer.from('CVC1');
const SUFFIX = '.clip';

/** JSON with sorted keys, so {a, b} and {b, a} give the same cache key. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

async function walk(dir: string): Promise<Array<{ file: string; size: number; mtimeMs: number }>> {
  const out: Array<{ file: string; size: number; mtimeMs: number }> = [];
  let subs: string[];
  try {
    subs = await fsp.readdir(dir);
  } catch {
    return out;
  }
  for (const sub of subs) {
    let names: string[];
    try {
      names = await fsp.readdir(nodePath.join(dir, sub));
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith(SUFFIX)) continue;
      const file = nodePath.join(dir, sub, n);
      try {
        const st = await fsp.stat(file);
        out.push({ file, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        // deleted by another process meanwhile
      }
    }
  }
  return out;
}

export class ClipCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly counters: ClipCacheStats = { hits: 0, misses: 0, writes: 0, evicted: 0 };
  /** Bytes in the folder: scanned on the first write, then kept up to date; null until then. */
  private bytes: number | null = null;
  private evicting: Promise<void> | null = null;

  constructor(opts: ClipCacheOptions) {
    this.dir = nodePath.resolve(opts.dir);
    this.maxBytes = opts.maxBytes ?? 4 * 1024 ** 3;
  }

  stats(): ClipCacheStats {
    return { ...this.counters };
  }

  /** The entry file for a source file and request; null when the source cannot be stat'ed (it is then not cacheable). */
  async entryFor(path: string, request: unknown): Promise<string | null> {
    let st;
    try {
      st = await fsp.stat(path);
    } catch {
      return null;
    }
    const key = createHash('sha1')
      .update(stableJson({ path: nodePath.resolve(path), mtimeMs: st.mtimeMs, size: st.size, request }))
      .digest('hex');
    return nodePath.join(this.dir, key.slice(0, 2), key + SUFFIX);
  }

  async get(path: string, request: unknown): Promise<CachedClip | null> {
    const file = await this.entryFor(path, request);
    if (!file) return null;
    let buf: Buffer;
    try {
      buf = await fsp.readFile(file);
    } catch {
      this.counters.misses++;
      return null;
    }
    const clip = this.parse(buf);
    if (!clip) {
      // Unreadable entry (foreign file, or a format change): drop it and decode again.
      await fsp.unlink(file).catch(() => undefined);
      this.counters.misses++;
      return null;
    }
    const now = new Date();
    await fsp.utimes(file, now, now).catch(() => undefined); // LRU: a hit is a use
    this.counters.hits++;
    return clip;
  }

  async put(path: string, request: unknown, clip: CachedClip): Promise<void> {
    const file = await this.entryFor(path, request);
    if (!file) return;
    const header = Buffer.from(
      JSON.stringify({ frames: clip.frames, width: clip.width, height: clip.height, repeatedLast: clip.repeatedLast }),
    );
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length, 0);
    const body = Buffer.from(clip.data.buffer, clip.data.byteOffset, clip.data.byteLength);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    await fsp.mkdir(nodePath.dirname(file), { recursive: true });
    try {
      await fsp.writeFile(tmp, Buffer.concat([MAGIC, len, header, body]));
      await fsp.rename(tmp, file);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw e;
    }
    this.counters.writes++;
    if (this.bytes === null) this.bytes = (await walk(this.dir)).reduce((s, e) => s + e.size, 0);
    else this.bytes += MAGIC.length + 4 + header.length + body.length;
    if (this.bytes > this.maxBytes) await this.evict();
  }

  /** Delete the least recently used entries until the folder is under 90% of the cap. */
  private evict(): Promise<void> {
    this.evicting ??= (async () => {
      const entries = (await walk(this.dir)).sort((a, b) => a.mtimeMs - b.mtimeMs);
      let total = entries.reduce((s, e) => s + e.size, 0);
      for (const e of entries) {
        if (total <= this.maxBytes * 0.9) break;
        await fsp.unlink(e.file).catch(() => undefined);
        total -= e.size;
        this.counters.evicted++;
      }
      this.bytes = total;
    })().finally(() => {
      this.evicting = null;
    });
    return this.evicting;
  }

  private parse(buf: Buffer): CachedClip | null {
    if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) return null;
    const hlen = buf.readUInt32LE(4);
    if (8 + hlen > buf.length) return null;
    let h: { frames: number; width: number; height: number; repeatedLast: number };
    try {
      h = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
    } catch {
      return null;
    }
    const n = h.frames * h.width * h.height * 3;
    if (!(n > 0) || buf.length !== 8 + hlen + n) return null;
    const data = new Uint8Array(n);
    data.set(buf.subarray(8 + hlen));
    return { data, frames: h.frames, width: h.width, height: h.height, repeatedLast: h.repeatedLast ?? 0 };
  }
}
