// A reader of TensorBoard events files written from the formats' specs, independent of src/report/: TFRecord framing
// (uint64 LE length, masked CRC-32C of it, data, masked CRC-32C of the data; CRC-32C here bit by bit, not table-driven
// as in src) and the protobuf wire format, decoded generically so tests can check field numbers and wire types.

import * as fs from 'fs';

/** CRC-32C computed bit by bit (reflected polynomial 0x82f63b78). */
function crc32cSlow(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function masked(data: Uint8Array): number {
  const crc = crc32cSlow(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** The records of a TFRecord file; throws on a bad CRC or a cut record. */
export function readRecords(file: string): Buffer[] {
  const b = fs.readFileSync(file);
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    if (at + 12 > b.length) throw new Error(`${file}: record header cut at byte ${at}`);
    const len = Number(b.readBigUInt64LE(at));
    if (b.readUInt32LE(at + 8) !== masked(b.subarray(at, at + 8))) throw new Error(`${file}: bad length CRC at byte ${at}`);
    const data = b.subarray(at + 12, at + 12 + len);
    if (data.length !== len || at + 16 + len > b.length) throw new Error(`${file}: record cut at byte ${at}`);
    if (b.readUInt32LE(at + 12 + len) !== masked(data)) throw new Error(`${file}: bad data CRC at byte ${at}`);
    out.push(Buffer.from(data));
    at += 16 + len;
  }
  return out;
}

/** One decoded protobuf field: varint as bigint, fixed64/fixed32 as their raw 8/4 bytes, length-delimited as bytes. */
export interface PbField {
  field: number;
  wire: 0 | 1 | 2 | 5;
  value: bigint | Buffer;
}

function readVarint(b: Buffer, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    if (at >= b.length) throw new Error('varint cut');
    const byte = b[at++];
    v |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [v, at];
    shift += 7n;
  }
}

/** Every field of a message, in order. */
export function decodeMessage(b: Buffer): PbField[] {
  const out: PbField[] = [];
  let at = 0;
  while (at < b.length) {
    const [key, next] = readVarint(b, at);
    at = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, n] = readVarint(b, at);
      out.push({ field, wire, value: v });
      at = n;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      out.push({ field, wire, value: b.subarray(at, at + size) });
      at += size;
    } else if (wire === 2) {
      const [len, n] = readVarint(b, at);
      out.push({ field, wire, value: b.subarray(n, n + Number(len)) });
      at = n + Number(len);
    } else {
      throw new Error(`unexpected wire type ${wire} for field ${field}`);
    }
  }
  return out;
}

/** An Event as the tests check it (event.proto / summary.proto field numbers). */
export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  writer?: string;
  sessionStatus?: number;
  values: Array<{ tag: string; value: number }>;
  /** Field numbers and wire types met, `field:wire`, for checking nothing unexpected is written. */
  fields: string[];
}

export function decodeEvent(data: Buffer): ReadEvent {
  const e: ReadEvent = { wallTime: NaN, step: NaN, values: [], fields: [] };
  for (const f of decodeMessage(data)) {
    e.fields.push(`${f.field}:${f.wire}`);
    const bytes = f.value as Buffer;
    if (f.field === 1 && f.wire === 1) e.wallTime = bytes.readDoubleLE(0);
    else if (f.field === 2 && f.wire === 0) e.step = Number(f.value as bigint);
    else if (f.field === 3 && f.wire === 2) e.fileVersion = bytes.toString('utf8');
    else if (f.field === 5 && f.wire === 2) {
      for (const v of decodeMessage(bytes)) {
        if (v.field !== 1 || v.wire !== 2) throw new Error(`Summary field ${v.field}:${v.wire}`);
        const value = decodeMessage(v.value as Buffer);
        const tag = value.find((x) => x.field === 1 && x.wire === 2);
        const simple = value.find((x) => x.field === 2 && x.wire === 5);
        if (!tag || !simple || value.length !== 2) throw new Error('Summary.Value without tag and simple_value');
        e.values.push({ tag: (tag.value as Buffer).toString('utf8'), value: (simple.value as Buffer).readFloatLE(0) });
      }
    } else if (f.field === 7 && f.wire === 2) {
      const status = decodeMessage(bytes).find((x) => x.field === 1 && x.wire === 0);
      e.sessionStatus = status ? Number(status.value as bigint) : 0;
    } else if (f.field === 10 && f.wire === 2) {
      const w = decodeMessage(bytes).find((x) => x.field === 1 && x.wire === 2);
      e.writer = w && (w.value as Buffer).toString('utf8');
    } else throw new Error(`unexpected Event field ${f.field} (wire ${f.wire})`);
  }
  return e;
}

/** The events of one file, CRCs checked. */
export function readEvents(file: string): ReadEvent[] {
  return readRecords(file).map(decodeEvent);
}
