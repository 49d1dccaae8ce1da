// resize.ts, the scaler every decoded video frame goes through: the size asked for, the source itself when it has that
// size, within one grey level of exact bilinear (half-pixel centres, as torch's interpolate with align_corners=False)
// scaling down and up, edges included; and the in-process decoder's scale (av/src/scale.cc) gives the same bytes as the
// JS one. CI builds the addon and sets COVER_EXPECT_AV=1: then a build without scale fails here instead of skipping.
import { scaleClip, scaleFrames } from '../../src/data/decode/resize';
import { Frames } from '../../src/data/decode/transforms';
import { loadAv } from '../../src/data/decode/video/av_addon';

/** Exact bilinear of one value, in float64: PySlowFast's interpolate, before rounding. */
function exact(f: Frames, w: number, h: number, t: number, y: number, x: number, c: number): number {
  const at = (sx: number, sy: number): number => f.data[((t * f.height + sy) * f.width + sx) * 3 + c];
  const tap = (i: number, n: number, src: number): [number, number, number] => {
    const s = Math.min(Math.max((i + 0.5) * (src / n) - 0.5, 0), src - 1);
    return [Math.floor(s), Math.min(Math.floor(s) + 1, src - 1), s - Math.floor(s)];
  };
  const [x0, x1, fx] = tap(x, w, f.width);
  const [y0, y1, fy] = tap(y, h, f.height);
  const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
  const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}

test('the asked size, within one grey level of exact bilinear, down and up; the source itself at its own size', () => {
  const src: Frames = { frames: 2, width: 37, height: 23, data: new Uint8Array(2 * 23 * 37 * 3) };
  // Sharp edges and full-range values: the worst case for rounding.
  src.data.forEach((_, i) => (src.data[i] = (i * 7919) % 3 === 0 ? 255 : (i * 104729) % 256));
  expect(scaleFrames(src, 37, 23)).toBe(src);
  for (const [w, h] of [[20, 13], [64, 41], [37, 50], [5, 3]]) {
    const out = scaleFrames(src, w, h);
    expect([out.frames, out.width, out.height, out.data.length]).toEqual([2, w, h, 2 * h * w * 3]);
    let worst = 0;
    for (let t = 0; t < 2; t++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out.data[((t * h + y) * w + x) * 3 + c] - exact(src, w, h, t, y, x, c)));
        }
      }
    }
    expect([w, h, worst <= 1]).toEqual([w, h, true]);
  }
});

test('a flat frame stays flat and a 2x upscale of a ramp keeps its ends', () => {
  const flat: Frames = { frames: 1, width: 3, height: 3, data: new Uint8Array(27).fill(200) };
  expect(Array.from(scaleFrames(flat, 7, 5).data).every((v) => v === 200)).toBe(true);
  const ramp: Frames = { frames: 1, width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 255, 255, 255]) };
  // Half-pixel centres: the 4 outputs sample at -0.25 (clamped to 0), 0.25, 0.75 and 1.25 (clamped to 1).
  expect(Array.from(scaleFrames(ramp, 4, 1).data.filter((_, i) => i % 3 === 0))).toEqual([0, 64, 191, 255]);
});

/** Frames of every byte value, sharp edges included. */
function noise(frames: number, width: number, height: number): Frames {
  const data = new Uint8Array(frames * height * width * 3);
  data.forEach((_, i) => (data[i] = (i * 7919) % 3 === 0 ? 255 : (i * 104729) % 256));
  return { frames, width, height, data };
}

const av = loadAv().addon;
const withScale = typeof av?.scale === 'function' || process.env.COVER_EXPECT_AV === '1' ? test : test.skip;

withScale('the in-process decoder scales to the same bytes as JS, down, up, and from a 720p frame', async () => {
  for (const [sw, sh, dw, dh] of [[64, 48, 37, 28], [37, 23, 5, 3], [320, 240, 426, 320], [1280, 720, 455, 256], [3, 3, 7, 5]]) {
    const src = noise(2, sw, sh);
    const native = await av!.scale(src.data, { frames: 2, width: sw, height: sh, toWidth: dw, toHeight: dh });
    expect([sw, sh, dw, dh, Buffer.from(native.data).equals(Buffer.from(scaleFrames(src, dw, dh).data))]).toEqual([sw, sh, dw, dh, true]);
  }
  const clip = await scaleClip(noise(3, 40, 30), 20, 16); // through the addon
  expect(Buffer.from(clip.data).equals(Buffer.from(scaleFrames(noise(3, 40, 30), 20, 16).data))).toBe(true);
  expect(() => av!.scale(new Uint8Array(10), { frames: 1, width: 4, height: 4, toWidth: 2, toHeight: 2 })).toThrow('scale: the data does not hold frames x height x width x 3 bytes');
});
