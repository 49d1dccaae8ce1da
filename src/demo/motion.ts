// How the object moves in a demo clip, one pose per frame. Three families:
//  - `wander`: class-independent random motion for the appearance set (Kinetics layout), where the class is the object;
//  - SSv2-style actions, where the class is the motion and a horizontal flip swaps left<->right and cw<->ccw;
//  - Moments-style events (bouncing, spinning, ...), which look the same mirrored.
// Every trajectory has random start, extent and speed, so position in one frame does not give the class away.

import { Rng } from '../data/rng';
import { Pose } from './render';

/** SSv2-style templates, in the order the demo takes them: the large motions first (the small set takes 6), a flip pair first. */
export const SSV2_ACTIONS = [
  { template: 'Moving [something] from left to right', motion: 'left-to-right' },
  { template: 'Moving [something] from right to left', motion: 'right-to-left' },
  { template: 'Moving [something] up', motion: 'up' },
  { template: 'Moving [something] down', motion: 'down' },
  { template: 'Approaching [something] with your camera', motion: 'approaching' },
  { template: 'Moving away from [something] with your camera', motion: 'receding' },
  { template: 'Turning [something] clockwise', motion: 'clockwise' },
  { template: 'Turning [something] anticlockwise', motion: 'anticlockwise' },
] as const;
export type Ssv2Motion = (typeof SSV2_ACTIONS)[number]['motion'];

/** Moments-style categories, in the order the demo takes them. */
export const MIT_EVENTS = ['bouncing', 'spinning', 'shaking', 'blinking', 'sliding', 'falling'] as const;
export type MitEvent = (typeof MIT_EVENTS)[number];

/** Random wandering with bounces off the borders, slow rotation and breathing scale (appearance set). */
export function wander(T: number, S: number, rng: Rng): Pose[] {
  let cx = rng.uniform(0.3, 0.7) * S;
  let cy = rng.uniform(0.3, 0.7) * S;
  const speed = (rng.uniform(0.25, 0.6) * S) / T;
  const dir = rng.uniform(0, 2 * Math.PI);
  let vx = speed * Math.cos(dir);
  let vy = speed * Math.sin(dir);
  const a0 = rng.uniform(-0.4, 0.4);
  const spin = rng.uniform(-0.6, 0.6);
  const s0 = rng.uniform(0.9, 1.2);
  const breathe = rng.uniform(0, 0.15);
  const poses: Pose[] = [];
  for (let t = 0; t < T; t++) {
    const f = t / Math.max(1, T - 1);
    poses.push({ cx, cy, angle: a0 + spin * f, scale: s0 * (1 + breathe * Math.sin(2 * Math.PI * f)), alpha: 1 });
    cx += vx;
    cy += vy;
    if (cx < 0.22 * S || cx > 0.78 * S) vx = -vx;
    if (cy < 0.22 * S || cy > 0.78 * S) vy = -vy;
  }
  return poses;
}

/** An SSv2-style action. */
export function ssv2Motion(motion: Ssv2Motion, T: number, S: number, rng: Rng): Pose[] {
  const jitter = () => rng.uniform(-0.008, 0.008) * S;
  const travel = rng.uniform(0.5, 0.62) * S;
  const along = rng.uniform(0.18 * S, 0.82 * S - travel); // start of a path that stays inside [0.18, 0.82] S
  const across = rng.uniform(0.3, 0.7) * S;
  const a0 = rng.uniform(-0.3, 0.3);
  const s0 = rng.uniform(0.9, 1.15);
  const turn = rng.uniform(0.6, 1.2) * Math.PI;
  const centre = [rng.uniform(0.38, 0.62) * S, rng.uniform(0.38, 0.62) * S];
  const poses: Pose[] = [];
  for (let t = 0; t < T; t++) {
    const f = t / Math.max(1, T - 1);
    const base: Pose = { cx: centre[0] + jitter(), cy: centre[1] + jitter(), angle: a0, scale: s0, alpha: 1 };
    switch (motion) {
      case 'left-to-right':
        poses.push({ ...base, cx: along + travel * f, cy: across + jitter() });
        break;
      case 'right-to-left':
        poses.push({ ...base, cx: S - (along + travel * f), cy: across + jitter() });
        break;
      case 'down':
        poses.push({ ...base, cx: across + jitter(), cy: along + travel * f });
        break;
      case 'up':
        poses.push({ ...base, cx: across + jitter(), cy: S - (along + travel * f) });
        break;
      case 'clockwise':
        poses.push({ ...base, angle: a0 + turn * f });
        break;
      case 'anticlockwise':
        poses.push({ ...base, angle: a0 - turn * f });
        break;
      case 'approaching':
        poses.push({ ...base, scale: 0.55 * Math.pow(1.6 / 0.55, f) });
        break;
      case 'receding':
        poses.push({ ...base, scale: 1.6 * Math.pow(0.55 / 1.6, f) });
        break;
      default: {
        const never: never = motion;
        throw new Error(`unknown motion ${String(never)}`);
      }
    }
  }
  return poses;
}

/** A Moments-style event. */
export function mitMotion(event: MitEvent, T: number, S: number, rng: Rng): Pose[] {
  const cx0 = rng.uniform(0.35, 0.65) * S;
  const cy0 = rng.uniform(0.35, 0.65) * S;
  const drift = [rng.uniform(-0.1, 0.1) * S, rng.uniform(-0.1, 0.1) * S];
  const a0 = rng.uniform(-0.3, 0.3);
  const s0 = rng.uniform(0.85, 1.1);
  const sign = rng.next() < 0.5 ? -1 : 1;
  const cycles = rng.uniform(2, 3);
  const amp = rng.uniform(0.06, 0.1) * S;
  const horizontal = rng.next() < 0.5;
  const period = rng.randint(4, 7);
  const phase = rng.randint(0, period - 1);
  const travel = rng.uniform(0.35, 0.5) * S;
  const poses: Pose[] = [];
  for (let t = 0; t < T; t++) {
    const f = t / Math.max(1, T - 1);
    const p: Pose = { cx: cx0 + drift[0] * f, cy: cy0 + drift[1] * f, angle: a0, scale: s0, alpha: 1 };
    switch (event) {
      case 'bouncing':
        p.cy = 0.75 * S - Math.abs(Math.sin(Math.PI * cycles * f)) * 0.4 * S;
        break;
      case 'spinning':
        p.angle = a0 + sign * 2.5 * Math.PI * f;
        break;
      case 'shaking': {
        const d = amp * Math.sin(2 * Math.PI * (T / 5) * f);
        if (horizontal) p.cx += d;
        else p.cy += d;
        break;
      }
      case 'blinking':
        p.alpha = Math.floor((t + phase) / period) % 2 === 0 ? 1 : 0;
        break;
      case 'sliding':
        p.cx = S / 2 + sign * (f - 0.5) * travel;
        break;
      case 'falling':
        p.cy = 0.2 * S + 0.6 * S * f * f;
        p.angle = a0 + sign * 0.3 * f;
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown event ${String(never)}`);
      }
    }
    poses.push(p);
  }
  return poses;
}
