// TFRecord framing, the container of TensorBoard's event files: each record is
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of the data
// (TensorFlow's tensorflow/core/lib/io/record_writer.cc, the format TensorBoard's event_file_loader reads). The CRC is
// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), computed here with a 256-entry table since Node has no CRC-32C,
// and "masked" as TensorFlow's crc32c.h does, so that a CRC of data holding CRCs is not itself a CRC-friendly pattern.
// Also the few protobuf wire-format writers the Event and Summary messages need (varint, fixed64, fixed32, length-
// delimited); cover needs only to write these messages, so no protobuf package is pulled in.

const CRC32C_POLY = 0x82f63b78; // Castagnoli, bit-reversed
const MASK_DELTA = 0xa282ead8;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32C of `data`, as an unsigned 32-bit number.
 *
 * @example
 * crc32c(Buffer.from('123456789')); // 0xe3069283 (the check value of CRC-32C)
 */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TensorFlow's masked CRC: rotate right by 15 bits, then add a constant (mod 2^32). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
export function frameRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

// ---- protobuf wire format (https://protobuf.dev/programming-guides/encoding/) ----

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A non-negative integer (up to 2^53) as a base-128 varint. */
export function varint(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint: ${n} is not a non-negative integer`);
  const bytes: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    bytes.push(b);
  } while (v > 0n);
  return Buffer.from(bytes);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);

/** A varint field (int64, enum). */
export function varintField(field: number, n: number): Buffer {
  return Buffer.concat([key(field, VARINT), varint(n)]);
}

/** A `double` field (little-endian IEEE 754). */
export function doubleField(field: number, x: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x, 0);
  return Buffer.concat([key(field, FIXED64), b]);
}

/** A `float` field (little-endian IEEE 754, single precision). */
export function floatField(field: number, x: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x, 0);
  return Buffer.concat([key(field, FIXED32), b]);
}

/** A length-delimited field: a string (UTF-8) or an embedded message's bytes. */
export function bytesField(field: number, data: string | Uint8Array): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return Buffer.concat([key(field, LEN), varint(b.length), b]);
}
