// An in-memory cache of whole decoded videos, for datasets small enough to hold at their own resolution (the demo
// suite, a few thousand short clips): each video is decoded once, every frame, at the source's size; every later
// sample of it selects its frames and scales them with resize.ts, with no decode. A request decoded per clip arrives at
// the same size and goes through the same scaler, so a sample has the same pixels with or without this cache. A dataset
// that would not fit keeps decoding per request (seeking and decoding only the frames a view needs), so large datasets
// never decode whole videos. Entries are evicted least recently used past the byte cap.

import { Frames } from './transforms';

export interface WholeClip extends Frames {
  /** Frames that ffmpeg could not deliver at the end and that were repeated (probe overestimated the length). */
  repeatedLast: number;
}

/** Largest whole clip worth caching (bytes): 300 frames of 128x96 is 11 MB. */
export const MAX_WHOLE_CLIP_BYTES = 32 * 2 ** 20;

export class MemoryClipCache {
  private readonly entries = new Map<string, Promise<WholeClip>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  /** The clip under `key`, decoding it with `decode` on a miss; concurrent asks for one key share one decode. */
  get(key: string, decode: () => Promise<WholeClip>): Promise<WholeClip> {
    const have = this.entries.get(key);
    if (have) {
      this.hits++;
      this.entries.delete(key); // re-insert: Map order is the LRU order
      this.entries.set(key, have);
      return have;
    }
    this.misses++;
    const p = decode().then(
      (clip) => {
        const size = clip.data.byteLength;
        if (this.entries.get(key) === p) {
          this.sizes.set(key, size);
          this.bytes += size;
          this.evict();
        }
        return clip;
      },
      (err) => {
        this.entries.delete(key); // a failed decode is not cached
        throw err;
      },
    );
    this.entries.set(key, p);
    return p;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  private evict(): void {
    for (const [key] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      const size = this.sizes.get(key);
      if (size === undefined) continue; // still decoding
      this.entries.delete(key);
      this.sizes.delete(key);
      this.bytes -= size;
    }
  }
}

/** Frames `indices` (clamped to the clip) of a whole clip, as a new Frames. */
export function selectFrames(clip: Frames, indices: number[]): Frames {
  const per = clip.width * clip.height * 3;
  const data = new Uint8Array(indices.length * per); // [T, H, W, 3]
  indices.forEach((i, t) => {
    const j = Math.min(Math.max(0, i), clip.frames - 1);
    data.set(clip.data.subarray(j * per, (j + 1) * per), t * per);
  });
  return { frames: indices.length, width: clip.width, height: clip.height, data };
}

let shared: MemoryClipCache | null = null;

/** The process-wide cache (one per cap; a new cap starts a new cache). */
export function sharedMemoryCache(maxBytes: number): MemoryClipCache {
  if (!shared || shared.maxBytes !== maxBytes) shared = new MemoryClipCache(maxBytes);
  return shared;
}
