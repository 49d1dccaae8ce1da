// The safetensors file format (huggingface/safetensors, docs "Format"): an 8-byte little-endian unsigned header length
// n, then n bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}`,
// then the raw little-endian tensor bytes, each tensor at [8 + n + begin, 8 + n + end). PyTorch, timm and Hugging Face
// all write it; cover reads the float dtypes (F32, F16, BF16, F64) into Float32Array and writes F32.
//
// Reading goes through a file descriptor so that a large checkpoint (ViT-L: 1.2 GB) is held once, as the Float32Arrays
// the caller keeps, never also as one big file Buffer. Anything malformed is a CheckpointError naming the file.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CheckpointError, fileError } from '../errors';

export interface SafetensorsTensor {
  /** dtype as stored in the file (F32, F16, BF16, F64); the data is always converted to float32. */
  dtype: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  /** The optional `__metadata__` string map (e.g. `{format: 'pt'}` from PyTorch). */
  metadata: Record<string, string>;
}

/** Bytes per element of the dtypes cover reads. */
const ITEM_SIZE: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** The reference implementation refuses headers above 100 MB; a larger length means a corrupt or foreign file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads every tensor of a safetensors file into Float32Arrays (keys in file order).
 *
 * @example
 * const { tensors } = readSafetensors('tiny-a/weights.safetensors');
 * tensors.get('pos_embed')!.shape; // [1, 17, 48]
 */
export function readSafetensors(file: string): SafetensorsFile {
  const fail = (problem: string, suggestion = 'the file is damaged or not a safetensors file: export it again'): never => {
    throw new CheckpointError(problem, { path: file, suggestion });
  };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('no such file', 'check the path');
    if (code === 'EISDIR') return fail('is a folder, not a .safetensors file', 'give the path of the .safetensors file inside it');
    return fail(`cannot be opened (${code ?? String(err)})`, 'check the file permissions');
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) fail('is a folder, not a .safetensors file', 'give the path of the .safetensors file inside it');
    const size = st.size;
    if (size < 8) fail(`is truncated: ${size} bytes, but a safetensors file starts with an 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    readExactly(fd, lenBuf, 0);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen > BigInt(size - 8)) {
      fail(`header length ${headerLen} runs past the end of the file (${size} bytes): the file is truncated or not safetensors`);
    }
    const n = Number(headerLen);
    if (n > MAX_HEADER_BYTES) fail(`header length ${n} is above the 100 MB safetensors limit`);
    const headerBuf = Buffer.alloc(n);
    readExactly(fd, headerBuf, 8);
    const dataStart = 8 + n;
    const { entries, metadata } = parseHeader(headerBuf, size - dataStart, fail);

    const tensors = new Map<string, SafetensorsTensor>();
    for (const [name, e] of entries) {
      tensors.set(name, { dtype: e.dtype, shape: e.shape, data: readTensor(fd, dataStart, e) });
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

function readExactly(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.byteLength) {
    const got = fs.readSync(fd, buf, done, buf.byteLength - done, position + done);
    if (got === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += got;
  }
}

function parseHeader(
  buf: Buffer,
  dataBytes: number,
  fail: (problem: string) => never,
): { entries: Map<string, HeaderEntry>; metadata: Record<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header is not a JSON object');
  const entries = new Map<string, HeaderEntry>();
  const metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not a string map');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof e !== 'object' || e === null) fail(`tensor ${name}: header entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string') fail(`tensor ${name}: dtype is missing`);
    if (!(dtype as string in ITEM_SIZE)) {
      fail(`tensor ${name} has dtype ${dtype}; cover reads F32, F16, BF16 and F64`);
    }
    const isIndex = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      fail(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > dataBytes) {
      fail(`tensor ${name}: data_offsets [${begin}, ${end}] fall outside the ${dataBytes} data bytes (file truncated?)`);
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const want = count * ITEM_SIZE[dtype as string];
    if (want !== end - begin) {
      fail(`tensor ${name}: shape [${(shape as number[]).join(',')}] of ${dtype} needs ${want} bytes but data_offsets span ${end - begin}`);
    }
    entries.set(name, { dtype: dtype as string, shape: [...(shape as number[])], begin, end });
  }
  checkTiling(entries, dataBytes, fail);
  return { entries, metadata };
}

/**
 * The tensors must tile the data bytes exactly, as the reference reader requires (safetensors tensor.rs,
 * Metadata::validate: sorted by offsets, each begins where the one before ends, the last ends at the end of the file).
 * Two tensors sharing bytes would alias each other; bytes no tensor owns are a damaged or doctored file.
 */
function checkTiling(entries: Map<string, HeaderEntry>, dataBytes: number, fail: (problem: string) => never): void {
  const sorted = [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: [string, HeaderEntry] | undefined;
  for (const [name, e] of sorted) {
    if (prev && e.begin < at) {
      fail(`tensors ${prev[0]} and ${name} overlap: data_offsets [${prev[1].begin}, ${prev[1].end}] and [${e.begin}, ${e.end}]`);
    }
    if (e.begin > at) fail(`data bytes [${at}, ${e.begin}) belong to no tensor (${prev ? `between ${prev[0]} and ${name}` : `before ${name}`})`);
    at = e.end;
    prev = [name, e];
  }
  if (at !== dataBytes) fail(`data bytes [${at}, ${dataBytes}) belong to no tensor (after ${prev ? prev[0] : 'the header'})`);
}

function readTensor(fd: number, dataStart: number, e: HeaderEntry): Float32Array {
  const count = (e.end - e.begin) / ITEM_SIZE[e.dtype];
  const out = new Float32Array(count);
  const at = dataStart + e.begin;
  if (e.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    // Straight into the result's memory: no second copy.
    readExactly(fd, new Uint8Array(out.buffer), at);
    return out;
  }
  const bytes = Buffer.alloc(e.end - e.begin);
  readExactly(fd, bytes, at);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (e.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    default:
      throw new Error(`unhandled dtype ${e.dtype}`);
  }
  return out;
}

/** IEEE 754 binary16 bits -> number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

/**
 * Writes float32 tensors as a safetensors file: keys sorted, header padded with spaces to a multiple of 8 bytes so
 * that the data is aligned (as the reference writer does), written to `<file>.tmp-<pid>` in the same folder, fsynced,
 * then renamed over `file` so that a reader never sees half a file.
 */
export function writeSafetensors(file: string, tensors: Map<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors metadata ${k} must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(`safetensors: tensor ${name} has ${t.data.length} values but shape [${t.shape.join(',')}] needs ${count}`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let headerText = JSON.stringify(header);
  const pad = (8 - ((8 + Buffer.byteLength(headerText, 'utf8')) % 8)) % 8;
  headerText += ' '.repeat(pad);
  const headerBuf = Buffer.from(headerText, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBuf.byteLength));

  writeAtomically(file, (fd) => {
    writeAll(fd, lenBuf);
    writeAll(fd, headerBuf);
    for (const name of names) {
      const data = tensors.get(name)!.data;
      if (LITTLE_ENDIAN_HOST) {
        writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      } else {
        const b = Buffer.alloc(data.byteLength);
        for (let i = 0; i < data.length; i++) b.writeFloatLE(data[i], 4 * i);
        writeAll(fd, b);
      }
    }
  });
}

function writeAll(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.byteLength) done += fs.writeSync(fd, buf, done, buf.byteLength - done);
}

/** Writes through `<file>.tmp-<pid>` in the same folder, fsyncs, then renames over `file`; removes the temp on failure. */
export function writeAtomically(file: string, write: (fd: number) => void): void {
  const tmp = path.join(path.dirname(file), `${path.basename(file)}.tmp-${process.pid}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    write(fd);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw fileError(err, file, 'write it');
  }
}
