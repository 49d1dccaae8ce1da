// Drawing the demo frames in plain JS: a textured background (stripes, checks, waves or a gradient in two random
// colours), a tinted sprite placed by a pose (centre, rotation, scale, visibility) with bilinear sampling, and
// per-frame noise. Colours, textures and noise are drawn independently of the class, so no single pixel gives the
// label away: the class is in the object's shape (appearance sets) or in how the pose changes (motion sets).
//
// Buffers are RGB24, row-major: a frame is [S, S, 3] uint8, a clip [T, S, S, 3].

import { Rng } from '../data/rng';
import { SPRITE_SIZE } from './sprites';

// Math's functions bound once: inside jest's vm context every `Math.x` in a hot loop is a slow global lookup (~50x).
const { round, floor, ceil, min, max, sin, cos, PI, SQRT2 } = Math;

/** Where and how the sprite is drawn in one frame. */
export interface Pose {
  /** Centre in pixels. */
  cx: number;
  cy: number;
  /** Rotation in radians; positive turns clockwise on screen (y points down). */
  angle: number;
  /** 1 = the sprite spans a third of the frame. */
  scale: number;
  /** 0 (hidden) .. 1 (opaque). */
  alpha: number;
}

export interface Scene {
  size: number;
  /** [S, S, 3] float background. */
  background: Float32Array;
  /** [28, 28] grey sprite. */
  sprite: Uint8Array;
  /** Object colour, 0..255 per channel. */
  color: [number, number, number];
  /** [65536] signed noise values; each frame reads from a random offset. */
  noise: Int8Array;
}

/**
 * Object colours by object class, as real categories have typical colours (denim is blue): with shape alone, a small
 * ViT trained from scratch for minutes stayed near chance on the appearance sets. Each object is jittered around its
 * class colour; motion classes (ssv2, mit) draw their object at random, so colour says nothing about their labels.
 */
const CLASS_COLOURS: ReadonlyArray<[number, number, number]> = [
  [220, 40, 40], [40, 80, 230], [40, 190, 60], [240, 220, 40], [210, 50, 210], [40, 210, 220], [250, 140, 30], [130, 60, 200], [240, 240, 240],
];

/** A scene with a random background, an object of its class's colour (jittered) and a noise table. */
export function makeScene(size: number, sprite: Uint8Array, rng: Rng, noiseAmp = 10, objectClass?: number): Scene {
  const c1 = randomColor(rng, 40, 200);
  const c2 = c1.map((c) => clamp(c + rng.uniform(-70, 70), 0, 255)) as [number, number, number];
  if (objectClass !== undefined) {
    // Muted backgrounds, so the saturated class colour of the object stands out.
    for (const c of [c1, c2]) for (let i = 0; i < 3; i++) c[i] = 0.35 * c[i] + 0.65 * 128;
  }
  const background = makeBackground(size, c1, c2, rng);
  const mean = meanColor(background);
  // Object colour: bright and saturated, pushed away from the background's brightness so the object stays visible.
  let color = randomColor(rng, 30, 255);
  if (objectClass !== undefined) {
    const base = CLASS_COLOURS[objectClass % CLASS_COLOURS.length];
    color = base.map((c, i) => clamp(c + (color[i] - 142) * 0.25, 0, 255)) as typeof color;
  } else if (Math.abs(luma(color) - luma(mean)) < 90) {
    color = color.map((c) => (luma(mean) > 128 ? c * 0.35 : 255 - (255 - c) * 0.35)) as typeof color;
  }
  // Triangular noise from a local xorshift32 seeded by the scene's generator (2 draws per value, 65536 values).
  const noise = new Int8Array(65536);
  let x = rng.randint(1, 0x7fffffff);
  const draw = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let i = 0; i < noise.length; i++) noise[i] = round((draw() + draw() - 1) * noiseAmp);
  return { size, background, sprite, color, noise };
}

/** Draws one frame of the scene at a pose into `out` at `offset` (S*S*3 bytes). */
export function renderFrame(scene: Scene, pose: Pose, rng: Rng, out: Uint8Array, offset: number): void {
  const { size: S, background, sprite, color, noise } = scene;
  const n = S * S * 3;
  // Background with this frame's noise.
  let k = rng.randint(0, noise.length - 1);
  for (let i = 0; i < n; i++) {
    out[offset + i] = clamp(round(background[i] + noise[k]), 0, 255);
    k = (k + 1) & 0xffff;
  }
  if (pose.alpha <= 0) return;
  // Sprite: each output pixel near the object maps back into sprite coordinates (inverse rotation and scale).
  // The sprite's 28 pixels span half the frame at scale 1: large enough that a small model, cropping and rescaling as
  // in training, sees the object's shape in a few patches (at a third of the frame the small preset stayed at chance).
  const px = (S / 2 / SPRITE_SIZE) * pose.scale; // output pixels per sprite pixel
  const ca = cos(pose.angle);
  const sa = sin(pose.angle);
  const half = SPRITE_SIZE / 2;
  const reach = half * px * SQRT2 + 1;
  const y0 = max(0, floor(pose.cy - reach));
  const y1 = min(S - 1, ceil(pose.cy + reach));
  const x0 = max(0, floor(pose.cx - reach));
  const x1 = min(S - 1, ceil(pose.cx + reach));
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - pose.cy;
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - pose.cx;
      const u = (dx * ca + dy * sa) / px + half - 0.5;
      const v = (-dx * sa + dy * ca) / px + half - 0.5;
      const g = sampleBilinear(sprite, u, v) / 255; // 0..1
      if (g <= 0.01) continue;
      const a = min(1, g * 1.6) * pose.alpha;
      const shade = 0.45 + 0.55 * g;
      const o = offset + (y * S + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = clamp(round(out[o + c] * (1 - a) + color[c] * shade * a), 0, 255);
    }
  }
}

function sampleBilinear(img: Uint8Array, u: number, v: number): number {
  if (u <= -1 || v <= -1 || u >= SPRITE_SIZE || v >= SPRITE_SIZE) return 0;
  const iu = floor(u);
  const iv = floor(v);
  const fu = u - iu;
  const fv = v - iv;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= SPRITE_SIZE || y >= SPRITE_SIZE ? 0 : img[y * SPRITE_SIZE + x]);
  return (at(iu, iv) * (1 - fu) + at(iu + 1, iv) * fu) * (1 - fv) + (at(iu, iv + 1) * (1 - fu) + at(iu + 1, iv + 1) * fu) * fv;
}

/** One of four textures in two colours. */
function makeBackground(S: number, c1: number[], c2: number[], rng: Rng): Float32Array {
  const bg = new Float32Array(S * S * 3);
  // Smooth backgrounds only (waves, gradients): stripes and checkerboards at the patch scale drowned the object for a
  // small ViT trained from scratch for a few minutes. (The draw stays, so the other random choices do not move.)
  const kind = 2 + (rng.randint(0, 3) % 2);
  const angle = rng.uniform(0, PI);
  const freq = rng.uniform(3, 9);
  const phase = rng.uniform(0, 2 * PI);
  const cell = rng.randint(max(2, round(S / 12)), max(3, round(S / 5)));
  const waves = Array.from({ length: 3 }, () => [rng.uniform(1, 4), rng.uniform(1, 4), rng.uniform(0, 2 * PI)]);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const u = x / S;
      const v = y / S;
      let t: number;
      if (kind === 0) t = 0.5 + 0.5 * sin(2 * PI * freq * (u * cos(angle) + v * sin(angle)) + phase);
      else if (kind === 1) t = (floor(x / cell) + floor(y / cell)) % 2;
      else if (kind === 2) t = 0.5 + waves.reduce((s, [a, b, p]) => s + sin(2 * PI * (a * u + b * v) + p), 0) / 6;
      else t = u * cos(angle) ** 2 + v * sin(angle) ** 2;
      const o = (y * S + x) * 3;
      for (let c = 0; c < 3; c++) bg[o + c] = c1[c] * (1 - t) + c2[c] * t;
    }
  }
  return bg;
}

function randomColor(rng: Rng, lo: number, hi: number): [number, number, number] {
  return [rng.uniform(lo, hi), rng.uniform(lo, hi), rng.uniform(lo, hi)];
}

function meanColor(bg: Float32Array): [number, number, number] {
  const m: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < bg.length; i++) m[i % 3] += bg[i];
  const n = bg.length / 3;
  return [m[0] / n, m[1] / n, m[2] / n];
}

function luma(c: number[]): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
