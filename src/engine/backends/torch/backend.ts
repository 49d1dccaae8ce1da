// The tfjs backend named `torch`: every tensor's values live in the addon's table as an at::Tensor (native memory, no
// wasm heap cap; on the GPU when the device is cuda). tfjs's data ids map to the addon's integer ids through tfjs's
// DataStorage, which also moves a tensor here from another backend the first time a kernel reads it. Kernels
// (kernels.ts) call the addon's run(); shared data (Identity, a Variable over a tensor) is counted with refCount, as the
// cpu backend does, and the native tensor is freed when the count reaches zero.

import * as tf from '@tensorflow/tfjs-core';
import type { TorchAddon } from './addon';

type DataId = object;
type Dtype = 'float32' | 'int32' | 'bool';

interface TorchData {
  /** The addon's tensor id. */
  id: number;
  dtype: tf.DataType;
  refCount: number;
}

const DTYPES: Dtype[] = ['float32', 'int32', 'bool'];

function checkDtype(dtype: tf.DataType): Dtype {
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new Error(`the torch backend holds float32, int32 and bool tensors, not ${dtype}`);
  }
  return dtype;
}

/** tfjs values as the typed array the addon takes for the dtype. */
function typed(values: tf.backend_util.BackendValues | null | undefined, size: number, dtype: Dtype): Float32Array | Int32Array | Uint8Array {
  if (values == null) return dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  if (dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  return values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>);
}

export class TorchBackend extends tf.KernelBackend {
  readonly data: tf.DataStorage<TorchData>;

  constructor(readonly addon: TorchAddon) {
    super();
    this.data = new tf.DataStorage(this, tf.engine());
  }

  private create(values: tf.backend_util.BackendValues | null | undefined, shape: number[], dtype: tf.DataType): number {
    const d = checkDtype(dtype);
    return this.addon.create(typed(values, tf.util.sizeFromShape(shape), d), shape, d);
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): DataId {
    const dataId = {};
    this.data.set(dataId, { id: this.create(values, shape, dtype), dtype, refCount: 1 });
    return dataId;
  }

  override move(dataId: DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.data.set(dataId, { id: this.create(values, shape, dtype), dtype, refCount });
  }

  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo {
    return { dataId: this.write(values as tf.backend_util.BackendValues, shape, dtype), shape, dtype };
  }

  /** The addon's id of a tensor (moving it here first if another backend holds it). */
  idOf(t: tf.TensorInfo): number {
    return this.data.get(t.dataId).id;
  }

  /** Runs an addon op on tfjs tensors and wraps its outputs as TensorInfos owned by this backend. */
  runOp(op: string, inputs: tf.TensorInfo[], attrs: Record<string, unknown> = {}): tf.TensorInfo[] {
    const flat = this.addon.run(op, inputs.map((t) => this.idOf(t)), attrs);
    const out: tf.TensorInfo[] = [];
    for (let k = 0; k < flat.length; ) {
      const id = flat[k];
      const dtype = DTYPES[flat[k + 1]];
      const rank = flat[k + 2];
      const shape = flat.slice(k + 3, k + 3 + rank);
      k += 3 + rank;
      const dataId = {};
      this.data.set(dataId, { id, dtype, refCount: 1 });
      out.push({ dataId, shape, dtype });
    }
    return out;
  }

  /** A second TensorInfo over the same data (Identity, a Cast to the same dtype): no copy, one more reference. */
  alias(t: tf.TensorInfo): tf.TensorInfo {
    this.incRef(t.dataId);
    return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }

  decRef(dataId: DataId): void {
    if (this.data.has(dataId)) this.data.get(dataId).refCount--;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override async read(dataId: DataId): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    return this.addon.read(this.data.get(dataId).id);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.data.get(dataId);
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    this.addon.dispose(d.id);
    this.data.delete(dataId);
    return true;
  }

  disposeIntermediateTensorInfo(t: tf.TensorInfo): void {
    this.disposeData(t.dataId);
  }

  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const start = tf.util.now();
    f();
    return { kernelMs: tf.util.now() - start };
  }

  override memory(): { unreliable: boolean; reasons?: string[] } & { nativeTensors: number; nativeBytes: number } {
    const m = this.addon.memory();
    return { unreliable: false, nativeTensors: m.tensors, nativeBytes: m.bytes };
  }

  override floatPrecision(): 16 | 32 {
    return 32;
  }

  override epsilon(): number {
    return super.epsilon();
  }

  override dispose(): void {
    // Tensors are freed by disposeData; the addon's table outlives a backend switch (tfjs moves data out first).
  }
}
