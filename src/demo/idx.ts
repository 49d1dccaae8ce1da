// The IDX file format of (Fashion-)MNIST (yann.lecun.com/exdb/mnist): a big-endian header (0, 0, type 0x08 = ubyte,
// number of dims; then one uint32 per dim) followed by the bytes. Files may be gzipped, as Debian ships them.

import { promises as fs } from 'fs';
import { gunzipSync } from 'zlib';
import { DatasetError } from '../errors';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Reads an IDX ubyte file (`.gz` or plain). A wrong magic number or a short file is a DatasetError naming the file. */
export async function readIdx(file: string): Promise<IdxArray> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
    if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  } catch (err) {
    throw new DatasetError(`cannot read the IDX file: ${(err as Error).message}`, {
      path: file,
      suggestion: 'give IDX files as fashion-mnist ships them (train-images-idx3-ubyte.gz ...)',
    });
  }
  const bad = (why: string): never => {
    throw new DatasetError(`not an IDX ubyte file: ${why}`, { path: file, suggestion: 'give the (fashion-)MNIST IDX files, gzipped or not' });
  };
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) bad('bad magic number');
  if (buf[2] !== 0x08) bad(`element type 0x${buf[2].toString(16)} is not unsigned byte`);
  const nd = buf[3];
  if (nd < 1 || buf.length < 4 + 4 * nd) bad('truncated header');
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const n = dims.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * nd;
  if (buf.length < offset + n) bad(`holds ${buf.length - offset} bytes of data, the header says ${n}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, n) };
}
