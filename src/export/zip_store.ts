// A zip archive of uncompressed ("stored") entries, as PyTorch writes its checkpoints (caffe2/serialize/
// inline_container.cc, PyTorchStreamWriter): every entry's data starts on a 64-byte boundary, reached by padding the local
// header's extra field with an "FB" record, so that readers may map tensors in place. No zip64: the archive must stay
// under 4 GiB and 65,535 entries (a ViT-L TimeSformer is 1.7 GB). Written through writeAtomically (temp file, fsync,
// rename), with a fixed timestamp so that the same entries always give the same bytes.

import * as fs from 'fs';
import * as zlib from 'zlib';
import { CheckpointError } from '../errors';
import { writeAtomically } from '../checkpoint/safetensors';

export interface ZipEntry {
  /** Path inside the archive, e.g. `archive/data/0`. */
  name: string;
  data: Uint8Array;
}

/** PyTorch's kFieldAlignment. */
const ALIGN = 64;
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;
const MAX_U32 = 0xffffffff;
/** 1980-01-01 00:00 in MS-DOS date/time fields (the earliest a zip can say). */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/**
 * Writes `entries` in order as a stored zip at `file`.
 *
 * @example
 * writeStoredZip('m.pth', [{ name: 'archive/version', data: Buffer.from('3\n') }]);
 */
export function writeStoredZip(file: string, entries: ZipEntry[]): void {
  if (entries.length > 0xffff) throw new CheckpointError(`${entries.length} entries do not fit a zip without zip64`, { path: file, suggestion: 'use model.safetensors' });
  const central: Buffer[] = [];
  writeAtomically(file, (fd) => {
    let at = 0;
    const put = (b: Uint8Array) => {
      let done = 0;
      while (done < b.byteLength) done += fs.writeSync(fd, b, done, b.byteLength - done);
      at += b.byteLength;
    };
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8');
      const pad = (ALIGN - ((at + LOCAL_HEADER + name.length + 4) % ALIGN)) % ALIGN;
      const extra = Buffer.alloc(4 + pad); // "FB" record: id, size, zeros
      extra.write('FB', 0, 'latin1');
      extra.writeUInt16LE(pad, 2);
      const crc = crc32(e.data);
      const size = e.data.byteLength;
      if (at + LOCAL_HEADER + name.length + extra.length + size > MAX_U32) {
        throw new CheckpointError('would pass 4 GiB, the limit of a zip without zip64', { path: file, suggestion: 'use model.safetensors, written beside it' });
      }
      const local = Buffer.alloc(LOCAL_HEADER);
      local.writeUInt32LE(0x04034b50, 0); // local file header signature
      local.writeUInt16LE(20, 4); // version needed to extract (2.0)
      local.writeUInt16LE(0, 6); // flags
      local.writeUInt16LE(0, 8); // method: stored
      local.writeUInt16LE(DOS_TIME, 10);
      local.writeUInt16LE(DOS_DATE, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(size, 18); // compressed size
      local.writeUInt32LE(size, 22); // uncompressed size
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(extra.length, 28);
      const offset = at;
      put(local);
      put(name);
      put(extra);
      put(e.data);

      const c = Buffer.alloc(CENTRAL_HEADER);
      c.writeUInt32LE(0x02014b50, 0); // central directory header signature
      c.writeUInt16LE(20, 4); // version made by
      c.writeUInt16LE(20, 6); // version needed
      c.writeUInt16LE(0, 8);
      c.writeUInt16LE(0, 10);
      c.writeUInt16LE(DOS_TIME, 12);
      c.writeUInt16LE(DOS_DATE, 14);
      c.writeUInt32LE(crc, 16);
      c.writeUInt32LE(size, 20);
      c.writeUInt32LE(size, 24);
      c.writeUInt16LE(name.length, 28);
      // extra length 0, comment length 0, disk 0, internal and external attributes 0
      c.writeUInt32LE(offset, 42);
      central.push(c, name);
    }
    const cdStart = at;
    if (cdStart + central.reduce((n, b) => n + b.length, 0) + END_RECORD > MAX_U32) {
      throw new CheckpointError('would pass 4 GiB, the limit of a zip without zip64', { path: file, suggestion: 'use model.safetensors, written beside it' });
    }
    for (const b of central) put(b);
    const end = Buffer.alloc(END_RECORD);
    end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
    end.writeUInt16LE(entries.length, 8); // entries on this disk
    end.writeUInt16LE(entries.length, 10); // entries in all
    end.writeUInt32LE(at - cdStart, 12); // central directory size
    end.writeUInt32LE(cdStart, 16); // central directory offset
    put(end);
  });
}

/** CRC-32 (ISO-HDLC, the zip one): zlib's where Node has it (20.15+), else a table. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) return native(data) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
