// The in-memory whole-video cache: one decode per key even when asked concurrently, LRU eviction past the byte cap,
// failed decodes not kept, and frame selection clamped to the clip.
import { MemoryClipCache, selectFrames, WholeClip } from '../../src/data/decode/memory_cache';

const clip = (frames: number, fill = 0): WholeClip => ({ frames, width: 2, height: 1, data: new Uint8Array(frames * 6).fill(fill), repeatedLast: 0 });

test('concurrent asks share one decode; LRU eviction past the cap; failures are not cached', async () => {
  const cache = new MemoryClipCache(60); // bytes: two 4-frame clips of 24 bytes fit, three do not
  let decodes = 0;
  const dec = (n: number) => async () => {
    decodes++;
    return clip(n);
  };
  const [a, b] = await Promise.all([cache.get('a', dec(4)), cache.get('a', dec(4))]);
  expect(a).toBe(b);
  expect(decodes).toBe(1);
  await cache.get('b', dec(4)); // 48 bytes held
  await cache.get('a', dec(4)); // a is now the most recent
  await cache.get('c', dec(4)); // 72 > 60: evicts b (least recent), keeps a and c
  expect(cache.usedBytes).toBe(48);
  await cache.get('a', dec(4));
  expect(decodes).toBe(3); // a still cached
  await cache.get('b', dec(4));
  expect(decodes).toBe(4); // b was evicted
  await expect(cache.get('bad', async () => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
  await cache.get('bad', dec(1));
  expect(decodes).toBe(5); // the failed decode was not kept
});

test('selectFrames copies the asked frames, clamped to the clip', () => {
  const c: WholeClip = { frames: 3, width: 1, height: 1, data: Uint8Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2]), repeatedLast: 0 };
  const s = selectFrames(c, [2, 0, 5, -1]);
  expect(s.frames).toBe(4);
  expect(Array.from(s.data)).toEqual([2, 2, 2, 0, 0, 0, 2, 2, 2, 0, 0, 0]);
});
