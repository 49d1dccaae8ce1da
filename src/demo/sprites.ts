// The objects the demo suite moves around: 28x28 grey sprites (0 = background, 255 = solid object) in named classes.
// From Fashion-MNIST's IDX files when they are present (Debian's /usr/share/datasets/fashion-mnist, or `--sprites DIR`),
// otherwise procedurally drawn shapes, so the demo works on any machine. Train videos use train sprites, val videos
// use the separate test sprites, so validation objects are unseen instances of the same classes.

import * as path from 'path';
import { DatasetError } from '../errors';
import { Rng } from '../data/rng';
import { readClassList } from '../data/datasets/class_list';
import { findFile, isDir } from '../data/datasets/common';
import { readIdx } from './idx';

export const SPRITE_SIZE = 28;
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export interface SpriteClass {
  /** Name used as the Kinetics-style label, e.g. `ankle boot`. */
  name: string;
  /** Synset id for the ImageNet-layout set (a real ImageNet-1k wnid for Fashion-MNIST classes). */
  wnid: string;
  /** The synset's words (LOC_synset_mapping.txt). */
  words: string;
}

export interface SpriteBank {
  /** `fashion-mnist (<dir>)` or `procedural shapes`. */
  source: string;
  /** Classes in the order the demo takes them (the first N are used). */
  classes: SpriteClass[];
  /** A [28*28] grey sprite of class `cls` (index into classes), from the train or the held-out pool. */
  sprite(cls: number, pool: 'train' | 'val', rng: Rng): Uint8Array;
}

/** Fashion-MNIST label index -> class, in the order the demo uses them (distinct silhouettes first). `shirt` (6) is
 * left out: it has no ImageNet-1k synset and looks like t-shirt and pullover. */
const FASHION_CLASSES: Array<{ index: number } & SpriteClass> = [
  { index: 0, name: 't-shirt', wnid: 'n03595614', words: 'jersey, T-shirt, tee shirt' },
  { index: 1, name: 'trouser', wnid: 'n03594734', words: 'jean, blue jean, denim' },
  { index: 8, name: 'bag', wnid: 'n04026417', words: 'purse' },
  { index: 9, name: 'ankle boot', wnid: 'n03124043', words: 'cowboy boot' },
  { index: 7, name: 'sneaker', wnid: 'n04120489', words: 'running shoe' },
  { index: 3, name: 'dress', wnid: 'n03450230', words: 'gown' },
  { index: 5, name: 'sandal', wnid: 'n04133789', words: 'sandal' },
  { index: 2, name: 'pullover', wnid: 'n04370456', words: 'sweatshirt' },
  { index: 4, name: 'coat', wnid: 'n04479046', words: 'trench coat' },
];

const SHAPES = ['circle', 'square', 'triangle', 'cross', 'ring', 'star', 'diamond', 'crescent'] as const;
type Shape = (typeof SHAPES)[number];

/** `--sprites shapes` asks for the drawn shapes even where Fashion-MNIST is installed. */
export const SHAPES_SOURCE = 'shapes';

/**
 * The sprite bank: `--sprites DIR` (IDX files, must be valid), else Debian's Fashion-MNIST when present, else shapes.
 * @example
 * (await loadSprites()).source // 'fashion-mnist (/usr/share/datasets/fashion-mnist)'
 */
export async function loadSprites(spritesDir?: string): Promise<SpriteBank> {
  if (spritesDir === SHAPES_SOURCE) return proceduralSprites();
  if (spritesDir) return loadIdxSprites(path.resolve(spritesDir));
  if (await findFile([DEBIAN_FASHION_MNIST], ['train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte'])) {
    return loadIdxSprites(DEBIAN_FASHION_MNIST);
  }
  return proceduralSprites();
}

async function loadIdxSprites(dir: string): Promise<SpriteBank> {
  if (!(await isDir(dir))) {
    throw new DatasetError('the sprites folder does not exist', { path: dir, suggestion: 'pass a folder with (fashion-)MNIST IDX files to --sprites' });
  }
  const find = (stem: string) => findFile([dir], [`${stem}.gz`, stem]);
  const trainImages = await find('train-images-idx3-ubyte');
  const trainLabels = await find('train-labels-idx1-ubyte');
  if (!trainImages || !trainLabels) {
    throw new DatasetError('no train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz) here', {
      path: dir,
      suggestion: 'pass the folder holding the Fashion-MNIST IDX files (or omit --sprites to use the built-in shapes)',
    });
  }
  const train = await loadPool(trainImages, trainLabels);
  const [valImages, valLabels] = [await find('t10k-images-idx3-ubyte'), await find('t10k-labels-idx1-ubyte')];
  const val = valImages && valLabels ? await loadPool(valImages, valLabels) : train;
  const classFile = await findFile([dir], ['classes.txt']);
  const classes: Array<{ index: number } & SpriteClass> = classFile
    ? (await readClassList(classFile)).map((name, index) => ({ index, name, wnid: fakeWnid(index), words: name }))
    : FASHION_CLASSES;
  const usable = classes.filter((c) => (train.byClass[c.index]?.length ?? 0) > 0 && (val.byClass[c.index]?.length ?? 0) > 0);
  if (usable.length < 2) {
    throw new DatasetError('the IDX files hold fewer than 2 usable classes', { path: dir, suggestion: 'give IDX files with at least 2 labelled classes' });
  }
  return {
    source: `fashion-mnist (${dir})`,
    classes: usable.map(({ name, wnid, words }) => ({ name, wnid, words })),
    sprite(cls, pool, rng) {
      const p = pool === 'train' ? train : val;
      const list = p.byClass[usable[cls].index];
      const i = list[rng.randint(0, list.length - 1)];
      return p.images.subarray(i * SPRITE_SIZE * SPRITE_SIZE, (i + 1) * SPRITE_SIZE * SPRITE_SIZE);
    },
  };
}

async function loadPool(imagesFile: string, labelsFile: string): Promise<{ images: Uint8Array; byClass: number[][] }> {
  const images = await readIdx(imagesFile);
  const labels = await readIdx(labelsFile);
  if (images.dims.length !== 3 || images.dims[1] !== SPRITE_SIZE || images.dims[2] !== SPRITE_SIZE) {
    throw new DatasetError(`images are ${images.dims.join('x')}, expected Nx28x28`, { path: imagesFile, suggestion: 'give 28x28 (fashion-)MNIST images' });
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new DatasetError(`${labels.dims[0]} labels for ${images.dims[0]} images`, { path: labelsFile, suggestion: 'give the label file that belongs to the images' });
  }
  const byClass: number[][] = [];
  labels.data.forEach((l, i) => (byClass[l] ??= []).push(i));
  return { images: images.data, byClass };
}

/** A synset-shaped id for classes that have no ImageNet synset (procedural shapes, custom IDX classes). */
function fakeWnid(i: number): string {
  return `n9${String(i).padStart(7, '0')}`;
}

export function proceduralSprites(): SpriteBank {
  return {
    source: 'procedural shapes',
    classes: SHAPES.map((s, i) => ({ name: s, wnid: fakeWnid(i), words: s })),
    sprite: (cls, _pool, rng) => drawShape(SHAPES[cls], rng),
  };
}

/** One instance of a shape: random size, aspect, thickness and a shaded texture, 3x3 supersampled. */
export function drawShape(shape: Shape, rng: Rng): Uint8Array {
  const out = new Uint8Array(SPRITE_SIZE * SPRITE_SIZE);
  const R = rng.uniform(0.72, 0.92);
  const aspect = rng.uniform(0.85, 1.15);
  const thick = rng.uniform(0.22, 0.34);
  const shade = [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)];
  const stripe = rng.uniform(3, 6);
  const inside = shapeTest(shape, R, thick);
  const ss = 3;
  for (let y = 0; y < SPRITE_SIZE; y++) {
    for (let x = 0; x < SPRITE_SIZE; x++) {
      let cover = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const px = (((x + (sx + 0.5) / ss) / SPRITE_SIZE) * 2 - 1) / aspect;
          const py = (((y + (sy + 0.5) / ss) / SPRITE_SIZE) * 2 - 1) * aspect;
          if (inside(px, py)) cover++;
        }
      }
      const u = (x / SPRITE_SIZE) * 2 - 1;
      const v = (y / SPRITE_SIZE) * 2 - 1;
      const tex = 0.75 + shade[0] * u + shade[1] * v + 0.12 * Math.sin(stripe * (u + v) * Math.PI);
      out[y * SPRITE_SIZE + x] = Math.round(255 * (cover / (ss * ss)) * Math.min(1, Math.max(0.35, tex)));
    }
  }
  return out;
}

function shapeTest(shape: Shape, R: number, t: number): (x: number, y: number) => boolean {
  switch (shape) {
    case 'circle':
      return (x, y) => x * x + y * y < R * R;
    case 'square':
      return (x, y) => Math.max(Math.abs(x), Math.abs(y)) < R * 0.8;
    case 'triangle':
      // Pointing up: apex (0, -R), base at y = R/2.
      return (x, y) => y < R * 0.5 && Math.abs(x) < ((y + R) / (1.5 * R)) * R * 0.95;
    case 'cross':
      return (x, y) => (Math.abs(x) < R * t && Math.abs(y) < R) || (Math.abs(y) < R * t && Math.abs(x) < R);
    case 'ring': {
      const r2 = (x: number, y: number) => x * x + y * y;
      return (x, y) => r2(x, y) < R * R && r2(x, y) > (R * (1 - 1.4 * t)) ** 2;
    }
    case 'star':
      return (x, y) => {
        const a = Math.atan2(x, -y); // 0 at the top point
        const k = (((a / ((2 * Math.PI) / 5)) % 1) + 1) % 1; // position within one point's sector
        const reach = 0.42 + 0.58 * Math.abs(1 - 2 * k); // 1 at the tips, 0.42 between them
        return Math.sqrt(x * x + y * y) < R * reach;
      };
    case 'diamond':
      return (x, y) => Math.abs(x) + Math.abs(y) * 0.8 < R;
    case 'crescent':
      return (x, y) => x * x + y * y < R * R && (x - R * 0.45) ** 2 + (y + R * 0.15) ** 2 > (R * 0.8) ** 2;
    default: {
      const never: never = shape;
      throw new Error(`unknown shape ${String(never)}`);
    }
  }
}
