// Decode an image file (JPEG, PNG, WebP, ...) into uint8 RGB with sharp (libvips, in-process: no process per image).
// Grey and CMYK images become RGB, alpha is dropped (as PIL's convert('RGB') in torchvision's loader); EXIF orientation
// is not applied, as the reference loader does not apply it. A truncated or corrupt file is a DecodeError.
//
// Output: [height, width, 3] uint8, row-major.

import sharp from 'sharp';
import { DecodeError } from '../../../errors';
import { assertReadableFile } from '../video/probe';
import { shortSideSize } from '../transforms';

export interface DecodedImage {
  /** [height, width, 3] uint8 RGB. */
  data: Uint8Array;
  width: number;
  height: number;
}

const BAD_IMAGE_FIX = 're-download the image, or remove it from the dataset';

// 'error' also fails on truncated data but lets through the harmless warnings common in ImageNet JPEGs
// ("extraneous bytes before marker"), which 'warning' (sharp's default) would reject.
const SHARP_INPUT = { failOn: 'error' } as const;

type Sharp = ReturnType<typeof sharp>;

function asDecodeError(e: unknown, path: string): DecodeError {
  const msg = e instanceof Error ? e.message : String(e);
  return new DecodeError(`cannot be read as an image: ${msg.split('\n')[0]}`, { path, suggestion: BAD_IMAGE_FIX, cause: e });
}

async function toRgb(img: Sharp, path: string): Promise<DecodedImage> {
  try {
    const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw asDecodeError(e, path);
  }
}

/**
 * The image's pixels as RGB bytes.
 * @example
 * await decodeImage('/usr/share/doc/opencv-doc/examples/data/baboon.jpg') // { data: Uint8Array(786432), width: 512, height: 512 }
 */
export async function decodeImage(path: string): Promise<DecodedImage> {
  await assertReadableFile(path, 'image');
  return toRgb(sharp(path, SHARP_INPUT), path);
}

/** Size [w, h] of an image from its header, without decoding the pixels. */
export async function imageSize(path: string): Promise<[number, number]> {
  await assertReadableFile(path, 'image');
  try {
    const meta = await sharp(path, SHARP_INPUT).metadata();
    if (!meta.width || !meta.height) throw new Error('no width/height in the header');
    return [meta.width, meta.height];
  } catch (e) {
    throw asDecodeError(e, path);
  }
}

/**
 * The image resized (bilinear, antialiased) so its short side is `target` (long side floored, as the video transforms),
 * or to exactly [w, h].
 * @example
 * await decodeImageResized('/usr/share/doc/opencv-doc/examples/data/HappyFish.jpg', 224) // width 299, height 224
 */
export async function decodeImageResized(path: string, target: number | [number, number]): Promise<DecodedImage> {
  const [w, h] = typeof target === 'number' ? shortSideSize(...(await imageSize(path)), target) : target;
  if (!(w >= 1 && h >= 1)) throw new Error(`decodeImageResized: bad target size ${w}x${h}`);
  return toRgb(sharp(path, SHARP_INPUT).resize(w, h, { fit: 'fill', kernel: 'linear' }), path);
}
