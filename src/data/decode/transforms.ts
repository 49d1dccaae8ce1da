// Spatial transforms of a decoded clip, as pure functions: plan (short-side scale jitter, crop box, flip) and pixel work
// (resize fallback, crop, flip, normalise) on uint8 RGB frames -> a float32 Clip [T, H, W, 3].
// Ported from facebookresearch/SlowFast slowfast/datasets/transform.py (random_short_side_scale_jitter, random_crop,
// horizontal_flip, uniform_crop) and utils.tensor_normalize, as TimeSformer's kinetics.py/ssv2.py call them
// (docs/notes/cover-spec.md §1.10).
//
// The scaling itself is resize.ts's (one scaler for every decoded frame, whichever decoder and cache it came through):
// this file plans it, and crops, flips and normalises what it gives.
//
// Shapes: T frames, H height, W width, C = 3 (RGB), row-major [T, H, W, C].

import { Clip, Preprocessing } from '../types';
import { Rng } from '../rng';
import { scaleFrames } from './resize';
import { roundHalfEven, spatialCropIndices, uniformCropOffset } from './sampling';

/** uint8 RGB frames, row-major [frames, height, width, 3]. */
export interface Frames {
  data: Uint8Array;
  frames: number;
  width: number;
  height: number;
}

export interface CropBox {
  x: number;
  y: number;
  size: number;
}

/** What to do to one decoded clip: resize to `resize` [w, h], then one output view per crop box. */
export interface SpatialPlan {
  resize: [number, number];
  crops: CropBox[];
  flip: boolean;
}

/**
 * The reference's training scale ranges (DATA.TRAIN_JITTER_SCALES) by crop: [256, 320] for 224
 * (configs/Kinetics/TimeSformer_divST_8x32_224.yaml) and [448, 512] for the 448 HR model (TimeSformer_divST_16x16_448.yaml).
 */
const REFERENCE_JITTER: Record<number, [number, number]> = { 224: [256, 320], 448: [448, 512] };

/**
 * The training scale range of a crop size: the reference's where it has one, else proportional to its 224 one,
 * [crop*8/7, crop*10/7]. Its low end is also the short side of a single-crop test view (kinetics.py: with
 * NUM_SPATIAL_CROPS 1, min_scale = TRAIN_JITTER_SCALES[0]).
 * @example
 * jitterScales(224) // [256, 320]
 * jitterScales(448) // [448, 512]
 * jitterScales(64)  // [73, 91]
 */
export function jitterScales(cropSize: number): [number, number] {
  return REFERENCE_JITTER[cropSize] ?? [Math.round((cropSize * 8) / 7), Math.round((cropSize * 10) / 7)];
}

/**
 * A random short side in [min, max]: uniform in size, or uniform in 1/size (the reference's INV_UNIFORM_SAMPLE, used for
 * SSv2). Rounded as Python's round().
 */
export function randomShortSide(rng: Rng, min: number, max: number, inverseUniform = false): number {
  if (inverseUniform) return roundHalfEven(1 / rng.uniform(1 / max, 1 / min));
  return roundHalfEven(rng.uniform(min, max));
}

/**
 * [w, h] of a frame after scaling its short side to `shortSide`; the long side is floored, as the reference does.
 * @example
 * shortSideSize(768, 576, 224) // [298, 224]
 */
export function shortSideSize(width: number, height: number, shortSide: number): [number, number] {
  if ((width <= height && width === shortSide) || (height <= width && height === shortSide)) return [width, height];
  if (width < height) return [shortSide, Math.floor((height / width) * shortSide)];
  return [Math.floor((width / height) * shortSide), shortSide];
}

/** PySlowFast random_crop: offsets drawn with np.random.randint(0, side - size), i.e. the last offset is never drawn. */
export function randomCropOffset(width: number, height: number, size: number, rng: Rng): [number, number] {
  if (size > width || size > height) {
    throw new Error(`randomCropOffset: crop ${size} is larger than the frame ${width}x${height}`);
  }
  const y = height === size ? 0 : rng.randint(0, height - size - 1);
  const x = width === size ? 0 : rng.randint(0, width - size - 1);
  return [x, y];
}

export interface PlanOptions {
  cropSize: number;
  training: boolean;
  /** Horizontal flip with p = 0.5 in training (false for SSv2-style data, where direction is the label). */
  flipAllowed: boolean;
  /** Scale jitter range in training; defaults to jitterScales(cropSize). */
  jitter?: [number, number];
  /** Sample the jitter uniformly in 1/size (SSv2). */
  inverseUniform?: boolean;
  /** Spatial crops at test: 1 (center) or 3 (left/center/right, or top/center/bottom for portrait). */
  spatialCrops?: 1 | 3;
}

/**
 * Where and how to cut a frame of srcW x srcH. Training: random short side in the jitter range, one random crop, a
 * coin-flip for the mirror. Test, as the reference's kinetics.py: with 3 crops the short side is the crop size and the
 * crops run along the long side; with 1 crop the short side is the jitter range's low end (256 for a 224 crop, i.e.
 * 256/224 of it; 448 for 448) and the crop is central. No flip at test.
 */
export function planSpatial(srcW: number, srcH: number, opts: PlanOptions, rng?: Rng): SpatialPlan {
  const size = opts.cropSize;
  if (opts.training) {
    if (!rng) throw new Error('planSpatial: training needs an rng');
    const [lo, hi] = opts.jitter ?? jitterScales(size);
    const short = Math.max(size, randomShortSide(rng.fork('scale'), lo, hi, opts.inverseUniform));
    const [w, h] = shortSideSize(srcW, srcH, short);
    const [x, y] = randomCropOffset(w, h, size, rng.fork('crop'));
    const flip = opts.flipAllowed && rng.fork('flip').next() < 0.5;
    return { resize: [w, h], crops: [{ x, y, size }], flip };
  }
  const spatial = opts.spatialCrops ?? 1;
  const [w, h] = shortSideSize(srcW, srcH, spatial === 1 ? (opts.jitter ?? jitterScales(size))[0] : size);
  const crops = spatialCropIndices(spatial).map((i) => {
    const [x, y] = uniformCropOffset(w, h, size, i);
    return { x, y, size };
  });
  return { resize: [w, h], crops, flip: false };
}

/** Area range (fraction of the image) and aspect-ratio range (w/h) of the Inception-style crop: torchvision's defaults. */
export const INCEPTION_SCALE: [number, number] = [0.08, 1];
export const INCEPTION_RATIO: [number, number] = [3 / 4, 4 / 3];

/**
 * The Inception-style random-resized crop (Szegedy et al. 2015, "Going deeper with convolutions" §6), as torchvision's
 * transforms.RandomResizedCrop.get_params draws it: up to 10 tries of an area uniform in scale x the image's and an aspect
 * ratio log-uniform in ratio, a box that fits placed uniformly; else a central crop of the image clamped to the ratio
 * range. Returns the box [x, y, w, h] in source pixels (Python round(), half to even, as torchvision's int(round())).
 * @example
 * randomResizedCropBox(500, 375, createRng(0)) // [x, y, w, h]: w*h 8-100% of 500*375, w/h in [3/4, 4/3] up to rounding
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: [number, number] = INCEPTION_SCALE,
  ratio: [number, number] = INCEPTION_RATIO,
): [number, number, number, number] {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const y = rng.randint(0, height - h); // torchvision draws the row first
      return [rng.randint(0, width - w), y, w, h];
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return [Math.floor((width - w) / 2), Math.floor((height - h) / 2), w, h];
}

/**
 * The training plan of an image with the Inception-style crop: a random box (randomResizedCropBox) scaled to cropSize x
 * cropSize, then a coin-flip mirror. As a SpatialPlan: the whole image is resized (not keeping its aspect) so that the
 * box becomes cropSize square, and the crop is that box there; the decoder's one resize does both.
 * cover's choice for the image datasets of co-training (CoVeR does not publish its image augmentation;
 * docs/notes/cover-spec.md §2.4 recommends this one, the usual ImageNet training crop of ViT, e.g. timm's
 * transforms_imagenet_train). Test views of images are unchanged (planSpatial: short side 8/7 of the crop, centre crop).
 */
export function planInceptionCrop(srcW: number, srcH: number, cropSize: number, flipAllowed: boolean, rng: Rng): SpatialPlan {
  const [bx, by, bw, bh] = randomResizedCropBox(srcW, srcH, rng.fork('crop'));
  const sx = cropSize / bw;
  const sy = cropSize / bh;
  // [w, h] of the resized image: at least the box's end, so the crop always fits despite rounding.
  const w = Math.max(Math.round(srcW * sx), Math.round(bx * sx) + cropSize);
  const h = Math.max(Math.round(srcH * sy), Math.round(by * sy) + cropSize);
  const flip = flipAllowed && rng.fork('flip').next() < 0.5;
  return { resize: [w, h], crops: [{ x: Math.round(bx * sx), y: Math.round(by * sy), size: cropSize }], flip };
}

/** (v / 255 - mean[c]) / std[c] for every byte value v and channel c: 3 x 256 floats. */
export function normalizeTable(pre: Pick<Preprocessing, 'mean' | 'std'>): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - pre.mean[c]) / pre.std[c];
  }
  return lut;
}

/**
 * Crop, optionally mirror, and normalise frames into `out` at `offset` (a batch buffer), or into a new array.
 * Returns the array written: [T, size, size, 3] float32.
 */
export function cropFlipNormalize(
  src: Frames,
  box: CropBox,
  flip: boolean,
  lut: Float32Array,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const { frames: T, width: W, height: H } = src;
  const { x: cx, y: cy, size: S } = box;
  if (cx < 0 || cy < 0 || cx + S > W || cy + S > H) {
    throw new Error(`cropFlipNormalize: crop ${S} at (${cx}, ${cy}) does not fit a ${W}x${H} frame`);
  }
  const n = T * S * S * 3;
  const dst = out ?? new Float32Array(n); // [T, S, S, 3]
  if (offset + n > dst.length) throw new Error(`cropFlipNormalize: output holds ${dst.length - offset} values, need ${n}`);
  const d = src.data;
  let o = offset;
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < S; y++) {
      const row = ((t * H + cy + y) * W + cx) * 3;
      for (let x = 0; x < S; x++) {
        const i = row + (flip ? S - 1 - x : x) * 3;
        dst[o++] = lut[d[i]];
        dst[o++] = lut[256 + d[i + 1]];
        dst[o++] = lut[512 + d[i + 2]];
      }
    }
  }
  return dst;
}

/**
 * Apply a plan to decoded frames: resize when the decoder did not, then one normalised Clip per crop box.
 * @example
 * const plan = planSpatial(768, 576, {cropSize: 224, training: false, flipAllowed: true, spatialCrops: 3});
 * transformClip(frames, plan, pre).map((c) => c.shape) // three times [8, 224, 224, 3]
 */
export function transformClip(src: Frames, plan: SpatialPlan, pre: Pick<Preprocessing, 'mean' | 'std'>): Clip[] {
  const scaled = scaleFrames(src, plan.resize[0], plan.resize[1]);
  const lut = normalizeTable(pre);
  return plan.crops.map((box) => ({
    data: cropFlipNormalize(scaled, box, plan.flip, lut),
    shape: [scaled.frames, box.size, box.size, 3] as [number, number, number, 3],
  }));
}
