// The `data.pkl` of a PyTorch checkpoint holding a state_dict of float32 tensors: a pickle (protocol 2, torch.save's
// DEFAULT_PROTOCOL) of an OrderedDict from name to tensor, each tensor rebuilt by torch._utils._rebuild_tensor_v2 from a
// storage given as a persistent id ('storage', torch.FloatStorage, key, 'cpu', numel) whose bytes are the archive record
// `data/<key>` (torch/serialization.py _save / _load). Only globals that torch.load(weights_only=True) allows appear:
// collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch.FloatStorage.

export interface PickledTensor {
  name: string;
  /** PyTorch shape; the tensor is contiguous (row-major strides) at offset 0 of its own storage. */
  shape: number[];
  /** The storage's record name under `data/`. */
  storageKey: string;
}

// Pickle opcodes (CPython Lib/pickletools.py).
const PROTO = 0x80;
const GLOBAL = 0x63; // c
const EMPTY_TUPLE = 0x29; // )
const REDUCE = 0x52; // R
const MARK = 0x28; // (
const TUPLE = 0x74; // t
const BINUNICODE = 0x58; // X
const BININT1 = 0x4b; // K
const BININT2 = 0x4d; // M
const BININT = 0x4a; // J
const LONG1 = 0x8a;
const BINPERSID = 0x51; // Q
const NEWFALSE = 0x89;
const SETITEMS = 0x75; // u
const STOP = 0x2e; // .

class PickleWriter {
  private readonly parts: Buffer[] = [];

  op(code: number): this {
    this.parts.push(Buffer.from([code]));
    return this;
  }

  global(module: string, name: string): this {
    this.parts.push(Buffer.from([GLOBAL]), Buffer.from(`${module}\n${name}\n`, 'utf8'));
    return this;
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(5);
    len[0] = BINUNICODE;
    len.writeUInt32LE(b.length, 1);
    this.parts.push(len, b);
    return this;
  }

  int(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`pickle: ${n} is not a size`);
    if (n < 0x100) this.parts.push(Buffer.from([BININT1, n]));
    else if (n < 0x10000) this.parts.push(Buffer.from([BININT2, n & 0xff, n >> 8]));
    else if (n < 0x80000000) {
      const b = Buffer.alloc(5);
      b[0] = BININT;
      b.writeInt32LE(n, 1);
      this.parts.push(b);
    } else {
      const b = Buffer.alloc(10); // LONG1: 8 little-endian bytes of two's complement (n < 2^53, so the top byte is 0)
      b[0] = LONG1;
      b[1] = 8;
      b.writeBigUInt64LE(BigInt(n), 2);
      this.parts.push(b);
    }
    return this;
  }

  tuple(items: number[]): this {
    this.op(MARK);
    for (const n of items) this.int(n);
    return this.op(TUPLE);
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/** Row-major strides of a shape (PyTorch's contiguous strides). */
export function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * The pickle of `OrderedDict((name, tensor) for each entry)`.
 *
 * @example
 * pickleStateDict([{ name: 'norm.weight', shape: [32], storageKey: '0' }]); // 173 bytes: 0x80 0x02 ... 0x2e
 */
export function pickleStateDict(tensors: PickledTensor[]): Uint8Array {
  const w = new PickleWriter();
  w.op(PROTO).op(2);
  w.global('collections', 'OrderedDict').op(EMPTY_TUPLE).op(REDUCE); // OrderedDict()
  w.op(MARK);
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    w.str(t.name);
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.op(MARK);
    // The storage, by persistent id: ('storage', torch.FloatStorage, key, location, numel).
    w.op(MARK).str('storage').global('torch', 'FloatStorage').str(t.storageKey).str('cpu').int(numel).op(TUPLE).op(BINPERSID);
    w.int(0); // storage offset
    w.tuple(t.shape);
    w.tuple(contiguousStrides(t.shape));
    w.op(NEWFALSE); // requires_grad
    w.global('collections', 'OrderedDict').op(EMPTY_TUPLE).op(REDUCE); // backward hooks: OrderedDict()
    w.op(TUPLE).op(REDUCE);
  }
  w.op(SETITEMS);
  w.op(STOP);
  return w.bytes();
}
