// Spatial plans (scale jitter, crops, flip) and the pixel work (resize, crop, flip, normalise) on tiny synthetic frames
// whose every value is known.

import { createRng } from '../../src/data/rng';
import {
  cropFlipNormalize,
  Frames,
  jitterScales,
  normalizeTable,
  planSpatial,
  randomCropOffset,
  randomShortSide,
  shortSideSize,
  transformClip,
} from '../../src/data/decode/transforms';

const PRE = { mean: [0.45, 0.45, 0.45] as [number, number, number], std: [0.225, 0.225, 0.225] as [number, number, number] };

/** Frames whose pixel (t, y, x) is RGB (t*50 + x, y*10, 7): [T, H, W, 3]. */
function ramp(T: number, W: number, H: number): Frames {
  const data = new Uint8Array(T * H * W * 3);
  for (let t = 0; t < T; t++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = ((t * H + y) * W + x) * 3;
        data[i] = t * 50 + x;
        data[i + 1] = y * 10;
        data[i + 2] = 7;
      }
  return { data, frames: T, width: W, height: H };
}

const norm = (v: number, c = 0): number => (v / 255 - PRE.mean[c]) / PRE.std[c];

describe('scale geometry', () => {
  test("jitter range is the reference's where it has one (256-320 at 224, 448-512 for HR 448), else [crop*8/7, crop*10/7]", () => {
    expect(jitterScales(224)).toEqual([256, 320]);
    expect(jitterScales(448)).toEqual([448, 512]); // configs/Kinetics/TimeSformer_divST_16x16_448.yaml, not [512, 640]
    expect(jitterScales(32)).toEqual([37, 46]);
  });

  test('short side scaling floors the long side; no change at the target', () => {
    expect(shortSideSize(768, 576, 224)).toEqual([298, 224]);
    expect(shortSideSize(480, 640, 256)).toEqual([256, 341]);
    expect(shortSideSize(300, 224, 224)).toEqual([300, 224]);
  });

  test('random short side stays in range, both for uniform and inverse-uniform draws', () => {
    for (let s = 0; s < 100; s++) {
      for (const inv of [false, true]) {
        const v = randomShortSide(createRng(s), 256, 320, inv);
        expect(v).toBeGreaterThanOrEqual(256);
        expect(v).toBeLessThanOrEqual(320);
        expect(Number.isInteger(v)).toBe(true);
      }
    }
  });

  test('random crop never uses the last offset (np.random.randint is exclusive), nor leaves the frame', () => {
    const xs = new Set<number>();
    for (let s = 0; s < 300; s++) {
      const [x, y] = randomCropOffset(10, 8, 8, createRng(s));
      expect(y).toBe(0);
      xs.add(x);
    }
    expect([...xs].sort()).toEqual([0, 1]);
  });
});

describe('planSpatial', () => {
  test('training: one crop inside the jittered frame, deterministic under the rng', () => {
    for (let s = 0; s < 50; s++) {
      const plan = planSpatial(768, 576, { cropSize: 224, training: true, flipAllowed: true }, createRng(s));
      const [w, h] = plan.resize;
      expect(h).toBeGreaterThanOrEqual(256);
      expect(h).toBeLessThanOrEqual(320);
      expect(w).toBe(Math.floor((768 / 576) * h));
      expect(plan.crops).toHaveLength(1);
      const c = plan.crops[0];
      expect(c.x + c.size).toBeLessThanOrEqual(w);
      expect(c.y + c.size).toBeLessThanOrEqual(h);
      expect(planSpatial(768, 576, { cropSize: 224, training: true, flipAllowed: true }, createRng(s))).toEqual(plan);
    }
  });

  test('flip: about half the time when allowed, never for SSv2-style data or at test', () => {
    const flips = (flipAllowed: boolean, training: boolean): number =>
      Array.from({ length: 400 }, (_, s) => planSpatial(64, 48, { cropSize: 32, training, flipAllowed }, createRng(s)).flip).filter(
        Boolean,
      ).length;
    const n = flips(true, true);
    expect(n).toBeGreaterThan(150);
    expect(n).toBeLessThan(250);
    expect(flips(false, true)).toBe(0);
    expect(flips(true, false)).toBe(0);
  });

  test('test: short side = crop, 3 crops along the long side', () => {
    const plan = planSpatial(768, 576, { cropSize: 224, training: false, flipAllowed: true, spatialCrops: 3 });
    expect(plan.resize).toEqual([298, 224]);
    expect(plan.crops.map((c) => [c.x, c.y])).toEqual([
      [0, 0],
      [37, 0],
      [74, 0],
    ]);
    // One crop: short side 256/224 of the crop (the jitter's low end, kinetics.py), then the centre crop.
    const one = planSpatial(480, 640, { cropSize: 224, training: false, flipAllowed: true });
    expect(one.resize).toEqual([256, 341]);
    expect(one.crops).toEqual([{ x: 16, y: 59, size: 224 }]);
    expect(planSpatial(640, 480, { cropSize: 448, training: false, flipAllowed: true }).resize).toEqual([597, 448]); // HR: 448
  });
});

describe('pixels', () => {
  test('crop + normalise picks the right pixels, in [T, S, S, 3] order', () => {
    const f = ramp(2, 6, 5);
    const out = cropFlipNormalize(f, { x: 2, y: 1, size: 3 }, false, normalizeTable(PRE));
    expect(out).toHaveLength(2 * 3 * 3 * 3);
    // t=1, y=2 (frame row 3), x=0 (frame column 2): R = 50 + 2, G = 30, B = 7
    const i = ((1 * 3 + 2) * 3 + 0) * 3;
    expect(out[i]).toBeCloseTo(norm(52), 6);
    expect(out[i + 1]).toBeCloseTo(norm(30, 1), 6);
    expect(out[i + 2]).toBeCloseTo(norm(7, 2), 6);
  });

  test('flip mirrors each row of the crop', () => {
    const f = ramp(1, 6, 4);
    const lut = normalizeTable(PRE);
    const a = cropFlipNormalize(f, { x: 1, y: 0, size: 4 }, false, lut);
    const b = cropFlipNormalize(f, { x: 1, y: 0, size: 4 }, true, lut);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++)
        for (let c = 0; c < 3; c++) expect(b[(y * 4 + x) * 3 + c]).toBe(a[(y * 4 + (3 - x)) * 3 + c]);
    expect(b).not.toEqual(a);
  });

  test('writes into a batch buffer at an offset; refuses crops outside the frame', () => {
    const f = ramp(1, 4, 4);
    const buf = new Float32Array(2 * 2 * 2 * 3).fill(99);
    cropFlipNormalize(f, { x: 0, y: 0, size: 2 }, false, normalizeTable(PRE), buf, 12);
    expect(buf[0]).toBe(99);
    expect(buf[12]).toBeCloseTo(norm(0), 6);
    expect(() => cropFlipNormalize(f, { x: 3, y: 0, size: 2 }, false, normalizeTable(PRE))).toThrow(/does not fit/);
  });

  test('transformClip scales (resize.ts) when the frames are not at the plan\'s size, then one clip per crop', () => {
    const f = ramp(3, 12, 8);
    const plan = planSpatial(12, 8, { cropSize: 4, training: false, flipAllowed: true, spatialCrops: 3 });
    const clips = transformClip(f, plan, PRE);
    expect(plan.resize).toEqual([6, 4]);
    expect(clips.map((c) => c.shape)).toEqual([
      [3, 4, 4, 3],
      [3, 4, 4, 3],
      [3, 4, 4, 3],
    ]);
    expect(clips[0].data).not.toEqual(clips[2].data); // left and right crops differ on a horizontal ramp
    expect(clips.every((c) => c.data.every(Number.isFinite))).toBe(true);
  });
});
