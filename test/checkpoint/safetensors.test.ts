import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PARITY_FIXTURE } from '../helpers/fixtures';
import { CheckpointError } from '../../src/errors';
import { halfToFloat, readSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors';

const FIXTURE = path.join(PARITY_FIXTURE, 'weights.safetensors');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cover-st-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A raw safetensors file from a header object and data bytes (written by hand, independent of writeSafetensors). */
function rawFile(file: string, header: unknown, data: Buffer): void {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, data]));
}

function expectCheckpointError(fn: () => unknown, ...parts: (string | RegExp)[]): CheckpointError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  const line = (caught as CheckpointError).oneLine();
  expect(line).not.toContain('\n');
  for (const p of parts) expect(line).toMatch(p);
  return caught as CheckpointError;
}

describe('readSafetensors on the PyTorch-written parity fixture', () => {
  const { tensors, metadata } = readSafetensors(FIXTURE);

  it('reads every tensor with its shape and the metadata', () => {
    expect(tensors.size).toBe(49);
    expect(metadata.format).toBe('pt');
    expect(tensors.get('pos_embed')!.shape).toEqual([1, 17, 48]);
    expect(tensors.get('patch_embed.proj.weight')!.shape).toEqual([48, 3, 8, 8]);
    expect(tensors.get('blocks.1.temporal_attn.qkv.weight')!.shape).toEqual([144, 48]);
    expect(tensors.get('head.bias')!.dtype).toBe('F32');
  });

  it('reads the values numpy reads (row-major, little-endian)', () => {
    // Expected values from numpy.frombuffer on the same file.
    const pos = tensors.get('pos_embed')!.data;
    expect(pos[0]).toBeCloseTo(-0.29837509989738464, 7);
    expect(pos[1]).toBeCloseTo(-0.012064477428793907, 7);
    expect(pos[2]).toBeCloseTo(0.058486372232437134, 7);
    expect(pos[16 * 48 + 47]).toBeCloseTo(-0.06329285, 7);
    expect(Array.from(tensors.get('head.bias')!.data)).toEqual(
      [-0.06800682097673416, -0.0017647118074819446, 0.09756080061197281, -0.1275460571050644, -0.02108295075595379].map(Math.fround),
    );
    const headSum = tensors.get('head.weight')!.data.reduce((a, b) => a + b, 0);
    expect(headSum).toBeCloseTo(2.8109068792837206, 5);
    // patch_embed.proj.weight[5, 2, 3, 7]
    expect(tensors.get('patch_embed.proj.weight')!.data[((5 * 3 + 2) * 8 + 3) * 8 + 7]).toBeCloseTo(0.14865476, 7);
  });
});

describe('writeSafetensors', () => {
  it('round-trips shapes, values and metadata, with sorted keys and an 8-byte aligned header', () => {
    const file = path.join(dir, 'w.safetensors');
    const tensors = new Map([
      ['b.second', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) }],
      ['a.first', { shape: [4], data: Float32Array.from([0.1, 0.2, 0.3, 3.4e38]) }],
      ['c.scalar', { shape: [], data: Float32Array.from([42]) }],
      ['d.empty', { shape: [0, 5], data: new Float32Array(0) }],
    ]);
    writeSafetensors(file, tensors, { format: 'pt', note: 'hello' });

    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'pt', note: 'hello' });
    for (const [k, t] of tensors) {
      expect(back.tensors.get(k)!.shape).toEqual(t.shape);
      expect(back.tensors.get(k)!.data).toEqual(t.data);
    }
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: number[] }>;
    expect(Object.keys(header).filter((k) => k !== '__metadata__')).toEqual(['a.first', 'b.second', 'c.scalar', 'd.empty']);
    expect(header['a.first'].data_offsets).toEqual([0, 16]);
    expect(header['b.second'].data_offsets).toEqual([16, 40]);
    expect(bytes.length).toBe(8 + n + 16 + 24 + 4);
    expect(fs.readdirSync(dir)).toEqual(['w.safetensors']); // no temp file left
  });

  it('re-writes the PyTorch fixture byte-compatibly (same tensors when read back)', () => {
    const src = readSafetensors(FIXTURE);
    const file = path.join(dir, 'copy.safetensors');
    writeSafetensors(file, src.tensors, src.metadata);
    const back = readSafetensors(file);
    expect([...back.tensors.keys()].sort()).toEqual([...src.tensors.keys()].sort());
    for (const [k, t] of src.tensors) expect(back.tensors.get(k)!.data).toEqual(t.data);
  });

  it('replaces an existing file and reports an unwritable folder as one line', () => {
    const file = path.join(dir, 'w.safetensors');
    writeSafetensors(file, new Map([['x', { shape: [1], data: Float32Array.from([1]) }]]));
    writeSafetensors(file, new Map([['y', { shape: [2], data: Float32Array.from([2, 3]) }]]));
    expect([...readSafetensors(file).tensors.keys()]).toEqual(['y']);
    expect(() => writeSafetensors(path.join(dir, 'no', 'such', 'w.safetensors'), new Map())).toThrow(
      expect.objectContaining({ code: 'FILE', errno: 'ENOENT', message: 'cannot write it: no such file or folder (ENOENT)' }),
    );
  });

  it('refuses data that does not fill its shape (a caller bug)', () => {
    expect(() => writeSafetensors(path.join(dir, 'x.safetensors'), new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(
      /3 values but shape \[2,2\] needs 4/,
    );
  });
});

describe('readSafetensors dtypes', () => {
  it('converts F16, BF16 and F64 to float32', () => {
    const f16 = Buffer.alloc(8);
    [0x3e00, 0x8400, 0x7bff, 0x0001].forEach((v, i) => f16.writeUInt16LE(v, 2 * i)); // 1.5, -2^-14, 65504, 2^-24
    const bf16 = Buffer.alloc(4);
    bf16.writeUInt16LE(0x3f80, 0); // 1.0
    bf16.writeUInt16LE(0xc0a0, 2); // -5.0
    const f64 = Buffer.alloc(16);
    f64.writeDoubleLE(Math.PI, 0);
    f64.writeDoubleLE(-1e-3, 8);
    const file = path.join(dir, 'mixed.safetensors');
    rawFile(
      file,
      {
        h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
        d: { dtype: 'F64', shape: [2, 1], data_offsets: [12, 28] },
      },
      Buffer.concat([f16, bf16, f64]),
    );
    const { tensors } = readSafetensors(file);
    expect(Array.from(tensors.get('h')!.data)).toEqual([1.5, -(2 ** -14), 65504, 2 ** -24]);
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -5]);
    expect(tensors.get('d')!.shape).toEqual([2, 1]);
    expect(Array.from(tensors.get('d')!.data)).toEqual([Math.fround(Math.PI), Math.fround(-1e-3)]);
    expect(tensors.get('h')!.dtype).toBe('F16');
  });

  it('decodes half-precision infinities and NaN', () => {
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0x8000)).toBe(-0);
  });
});

describe('readSafetensors on damaged files: one line naming the file and the problem', () => {
  it('a truncated copy of the fixture', () => {
    const file = path.join(dir, 'cut.safetensors');
    const bytes = fs.readFileSync(FIXTURE);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectCheckpointError(() => readSafetensors(file), file, /data_offsets \[\d+, \d+\] fall outside the \d+ data bytes/, /fix: /);
  });

  it('a file cut inside its header', () => {
    const file = path.join(dir, 'cut.safetensors');
    fs.writeFileSync(file, fs.readFileSync(FIXTURE).subarray(0, 100));
    expectCheckpointError(() => readSafetensors(file), /header length 4336 runs past the end of the file \(100 bytes\)/);
  });

  it('a file shorter than the length field', () => {
    const file = path.join(dir, 'tiny.safetensors');
    fs.writeFileSync(file, Buffer.from([1, 2, 3]));
    expectCheckpointError(() => readSafetensors(file), /is truncated: 3 bytes/);
  });

  it('a garbage header', () => {
    const file = path.join(dir, 'garbage.safetensors');
    const junk = Buffer.from('{not json at all', 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(junk.length));
    fs.writeFileSync(file, Buffer.concat([len, junk]));
    expectCheckpointError(() => readSafetensors(file), `${file}: header is not valid JSON`);
  });

  it('a text file that is not safetensors at all', () => {
    const file = path.join(dir, 'notes.safetensors');
    fs.writeFileSync(file, 'these are not weights, just some text\n');
    expectCheckpointError(() => readSafetensors(file), /header length \d+ runs past the end of the file/);
  });

  it('an unknown dtype', () => {
    const file = path.join(dir, 'int.safetensors');
    rawFile(file, { ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8));
    expectCheckpointError(() => readSafetensors(file), 'tensor ids has dtype I64; cover reads F32, F16, BF16 and F64');
  });

  it('a shape that does not match its bytes', () => {
    const file = path.join(dir, 'shape.safetensors');
    rawFile(file, { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, Buffer.alloc(16));
    expectCheckpointError(() => readSafetensors(file), 'tensor w: shape [2,3] of F32 needs 24 bytes but data_offsets span 16');
  });

  it('bad offsets and a bad metadata map', () => {
    const a = path.join(dir, 'a.safetensors');
    rawFile(a, { w: { dtype: 'F32', shape: [1], data_offsets: [4] } }, Buffer.alloc(4));
    expectCheckpointError(() => readSafetensors(a), 'tensor w: data_offsets [4] is not [begin, end]');
    const b = path.join(dir, 'b.safetensors');
    rawFile(b, { __metadata__: { epoch: 3 } }, Buffer.alloc(0));
    expectCheckpointError(() => readSafetensors(b), '__metadata__.epoch is not a string');
  });

  it('tensors that share bytes, and bytes no tensor owns (the reference reader requires an exact tiling)', () => {
    const f = path.join(dir, 'tiling.safetensors');
    const f32 = (begin: number, end: number) => ({ dtype: 'F32', shape: [(end - begin) / 4], data_offsets: [begin, end] });
    rawFile(f, { a: f32(0, 8), b: f32(4, 12) }, Buffer.alloc(12));
    expectCheckpointError(() => readSafetensors(f), `${f}: tensors a and b overlap: data_offsets [0, 8] and [4, 12]`);
    rawFile(f, { 'blocks.0.norm1.weight': f32(0, 8), 'blocks.0.norm1.bias': f32(0, 8) }, Buffer.alloc(8)); // aliased
    expectCheckpointError(() => readSafetensors(f), 'tensors blocks.0.norm1.weight and blocks.0.norm1.bias overlap: data_offsets [0, 8] and [0, 8]');
    rawFile(f, { a: f32(0, 4), b: f32(8, 12) }, Buffer.alloc(12));
    expectCheckpointError(() => readSafetensors(f), 'data bytes [4, 8) belong to no tensor (between a and b)');
    rawFile(f, { a: f32(4, 8) }, Buffer.alloc(8));
    expectCheckpointError(() => readSafetensors(f), 'data bytes [0, 4) belong to no tensor (before a)');
    rawFile(f, { a: f32(0, 4) }, Buffer.alloc(8));
    expectCheckpointError(() => readSafetensors(f), 'data bytes [4, 8) belong to no tensor (after a)');
  });

  it('accepts any header order and empty tensors, as long as the tensors tile the data', () => {
    const f = path.join(dir, 'order.safetensors');
    const data = Buffer.alloc(12);
    [1, 2, 3].forEach((v, i) => data.writeFloatLE(v, 4 * i));
    rawFile(f, { c: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data);
    const { tensors } = readSafetensors(f);
    expect([...tensors.keys()]).toEqual(['c', 'e', 'a']);
    expect(Array.from(tensors.get('a')!.data)).toEqual([1]);
    expect(Array.from(tensors.get('c')!.data)).toEqual([2, 3]);
    expect(tensors.get('e')!.data.length).toBe(0);
  });

  it('a missing file and a folder', () => {
    expectCheckpointError(() => readSafetensors(path.join(dir, 'nope.safetensors')), /nope\.safetensors: no such file \(fix: check the path\)/);
    expectCheckpointError(() => readSafetensors(dir), 'is a folder, not a .safetensors file');
  });
});
