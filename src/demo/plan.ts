// What the demo dataset writers share: the size presets, the context a writer fills (text files written at once, clips
// queued as tasks the suite batches into ffmpeg processes, images as jobs), and drawing one clip or one still.

import * as path from 'path';
import { promises as fs } from 'fs';
import { DatasetFormat, SampleKind } from '../data/types';
import { Rng, createRng } from '../data/rng';
import { EncodeSpec, encodeVideos, writeJpeg } from './encode';
import { Pose, makeScene, renderFrame } from './render';
import { SpriteBank } from './sprites';

export type DemoSize = 'tiny' | 'small';
export const DEMO_SIZES: readonly DemoSize[] = ['tiny', 'small'];

export interface SizePreset {
  /** Frame side in pixels (square frames). */
  size: number;
  /** Frames per clip. */
  frames: number;
  classes: { k400: number; ssv2: number; mit: number; imnet: number };
  /** Clips per class and split (video sets). */
  train: number;
  val: number;
  /** Images per class and split (image set). */
  imageTrain: number;
  imageVal: number;
}

/**
 * `tiny` is for tests (seconds); `small` is the README's demo: big enough for a model to learn the classes on CPU.
 * 32 frames at 12 fps (10 for MiT) are ~3 s clips, as Moments' are; 112 px = 7 patches of 16.
 * `small`'s val sets hold 50 clips (images) a class, 250-300 a head, so that one standard error of a top-1 near 50% is
 * about 3 points (sqrt(0.25 / 250) = 3.2%) and `cover study` can tell its arms apart; with 8 a class (40-48 a head) one
 * clip moved a head by 2-2.5 points.
 */
export const SIZE_PRESETS: Record<DemoSize, SizePreset> = {
  tiny: { size: 64, frames: 16, classes: { k400: 4, ssv2: 4, mit: 4, imnet: 4 }, train: 4, val: 2, imageTrain: 4, imageVal: 2 },
  small: { size: 112, frames: 32, classes: { k400: 5, ssv2: 6, mit: 6, imnet: 5 }, train: 48, val: 50, imageTrain: 100, imageVal: 50 },
};

export interface DemoDataset {
  /** The short name the suite uses (`k400`, `ssv2`, `mit`, `imnet`). */
  name: string;
  format: DatasetFormat;
  /** Absolute path of the dataset's root (in the final suite folder). */
  root: string;
  kind: SampleKind;
  classes: string[];
  train: number;
  val: number;
}

export interface DemoContext {
  /** Folder being written (the suite's temporary folder). */
  dir: string;
  seed: number;
  preset: SizePreset;
  sprites: SpriteBank;
  ffmpeg: string;
  /** Clips to render and encode, in a fixed order; the suite batches them by encoder settings. */
  clips: ClipTask[];
  /** Image jobs, run later by the pool. */
  jobs: Array<() => Promise<void>>;
}

export interface ClipTask {
  out: string;
  spec: EncodeSpec;
  /** Draws the clip: [T, S, S, 3] rgb24. */
  render(): Uint8Array;
}

/** A generator for one file, independent of the order files are made in. */
export function fileRng(ctx: DemoContext, ...keys: Array<string | number>): Rng {
  return createRng(ctx.seed, ...keys);
}

/** Queues a clip: a sprite of class `cls` moving along `poses(rng)`, encoded to `out`. */
export function queueClip(
  ctx: DemoContext,
  out: string,
  rng: Rng,
  cls: number,
  pool: 'train' | 'val',
  poses: (rng: Rng) => Pose[],
  spec: Omit<EncodeSpec, 'width' | 'height'>,
): void {
  const S = ctx.preset.size;
  ctx.clips.push({
    out,
    spec: { ...spec, width: S, height: S },
    render: () => {
      const scene = makeScene(S, ctx.sprites.sprite(cls, pool, rng.fork('sprite')), rng.fork('scene'), 10, cls);
      const ps = poses(rng.fork('motion'));
      const frames = new Uint8Array(ps.length * S * S * 3); // [T, S, S, 3]
      const noise = rng.fork('noise');
      ps.forEach((p, t) => renderFrame(scene, p, noise, frames, t * S * S * 3));
      return frames;
    },
  });
}

/** Clips grouped by encoder settings into batches of at most `size`, each one ffmpeg process. */
export function batchClips(clips: ClipTask[], size: number): ClipTask[][] {
  const byKey = new Map<string, ClipTask[][]>();
  for (const c of clips) {
    const key = JSON.stringify(c.spec);
    const batches = byKey.get(key) ?? [];
    if (batches.length === 0 || batches[batches.length - 1].length >= size) batches.push([]);
    batches[batches.length - 1].push(c);
    byKey.set(key, batches);
  }
  return [...byKey.values()].flat();
}

/** Renders a batch and encodes it with one ffmpeg process. */
export async function encodeBatch(ctx: DemoContext, batch: ClipTask[]): Promise<void> {
  const clips = batch.map((c) => ({ frames: c.render(), out: c.out }));
  await Promise.all([...new Set(batch.map((c) => path.dirname(c.out)))].map((d) => fs.mkdir(d, { recursive: true })));
  await encodeVideos(ctx.ffmpeg, clips, batch[0].spec);
}

/** Queues a still: one frame of a sprite of class `cls` at a random pose, as JPEG. */
export function queueImage(ctx: DemoContext, out: string, rng: Rng, cls: number, pool: 'train' | 'val'): void {
  ctx.jobs.push(async () => {
    const S = ctx.preset.size;
    const scene = makeScene(S, ctx.sprites.sprite(cls, pool, rng.fork('sprite')), rng.fork('scene'), 10, cls);
    const pr = rng.fork('pose');
    const pose: Pose = { cx: pr.uniform(0.3, 0.7) * S, cy: pr.uniform(0.3, 0.7) * S, angle: pr.uniform(-0.4, 0.4), scale: pr.uniform(0.9, 1.3), alpha: 1 };
    const frame = new Uint8Array(S * S * 3); // [S, S, 3]
    renderFrame(scene, pose, rng.fork('noise'), frame, 0);
    await fs.mkdir(path.dirname(out), { recursive: true });
    await writeJpeg(frame, S, S, out);
  });
}

const YT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** An 11-character YouTube-style id. */
export function youtubeId(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 11; i++) s += YT_ALPHABET[rng.randint(0, YT_ALPHABET.length - 1)];
  return s;
}
