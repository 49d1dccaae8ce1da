// The addon's API. Tensors live in a table inside the addon as at::Tensor, named by integer ids (>= 1); dtypes are tfjs's
// ('float32' | 'int32' | 'bool'). Every function is synchronous. A wrong argument throws a TypeError or RangeError with one
// line ("<function>: <problem>"); an ATen failure inside an op throws an Error "run(<op>): <ATen's first line>".

export type Dtype = 'float32' | 'int32' | 'bool';

export interface AddonInfo {
  /** libtorch's version (TORCH_VERSION of the headers built against). */
  version: string;
  /** Whether this build links libtorch's CUDA libraries. */
  cuda: boolean;
  /** CUDA devices visible now (0 without CUDA). */
  cudaDevices: number;
  device: 'cpu' | 'cuda';
  precision: 'fp32' | 'tf32' | 'bf16';
  /** ATen's intra-op threads. */
  threads: number;
  /** The OpenBLAS threads each op runs with (setThreads, else $OPENBLAS_NUM_THREADS or the CPUs); 0 without OpenBLAS. */
  blasThreads: number;
  /** The kernel set OpenBLAS picked for this CPU ('SkylakeX', 'Haswell', ...; 'Prescott' means no AVX); '' without OpenBLAS. */
  blasCore: string;
}

/** What build.js found and built against (build/config.json); null if that file is missing. */
export interface BuildConfig {
  libtorch: string;
  include: string[];
  version: string;
  abi: number;
  cuda: boolean;
  source: 'debian' | 'python' | 'COVER_LIBTORCH';
  cudaVersion: string;
}
export const config: BuildConfig | null;

export function info(): AddonInfo;
/** Moves every live tensor to the device and makes new tensors there; an Error when it is not available. */
export function setDevice(device: 'cpu' | 'cuda'): AddonInfo;
/** ATen's intra-op threads and the BLAS's (integer >= 1); returns ATen's count in effect. */
export function setThreads(n: number): number;
/** Matmul precision: fp32; tf32 (cuBLAS TF32 on GPUs that have it); bf16 (operands cast to bfloat16, result float32). */
export function setPrecision(p: 'fp32' | 'tf32' | 'bf16'): string;

/** A new tensor on the current device from values (Float32Array / Int32Array / Uint8Array for bool), copied. */
export function create(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: Dtype): number;
/** A copy of the tensor's values, row-major, as the typed array of its dtype. */
export function read(id: number): Float32Array | Int32Array | Uint8Array;
/** Drops the table's reference; returns whether the id existed. */
export function dispose(id: number): boolean;
export function describe(id: number): { shape: number[]; dtype: Dtype; device: string };
/** Tensors in the table and the bytes of their distinct storages (views of one storage count once). */
export function memory(): { tensors: number; bytes: number };

/**
 * Runs one op on the tensors `ids` with `attrs` and stores its outputs. Returns them flat: for each output
 * [id, dtype (0 float32, 1 int32, 2 bool), rank, ...shape].
 */
export function run(op: string, ids: number[], attrs?: Record<string, unknown>): number[];
/** Names of every op run() knows. */
export function ops(): string[];

/** This process's place in a c10d process group. */
export interface DistInfo {
  rank: number;
  world: number;
  backend: 'gloo' | 'nccl';
}

/**
 * Data-parallel collectives on c10d (dist.cc): one process group per process, joined through a TCPStore that rank 0
 * serves on `port`. Every call blocks until done; a dead peer or a timeout throws an Error "dist.<fn>: <c10d's line>".
 */
export const dist: {
  /** Joins the group: Gloo on the cpu, NCCL on cuda (when built with it). */
  init(rank: number, world: number, addr: string, port: number, timeoutMs: number): DistInfo;
  /** The group joined, or null. */
  info(): DistInfo | null;
  /** New tensors: the sum over ranks of scale * each float32 tensor, reduced in buckets of up to bucketBytes (25 MiB). */
  allreduce(ids: number[], opts?: { scale?: number; bucketBytes?: number }): number[];
  /** Every rank's copy of the tensor (same shape and dtype on every rank), in rank order. */
  allgather(id: number): number[];
  /** A new tensor with root's values. */
  broadcast(id: number, root: number): number;
  barrier(): void;
  storeSet(key: string, value: string): void;
  /** The value, or null when the key did not appear within timeoutMs. */
  storeGet(key: string, timeoutMs: number): string | null;
  storeAdd(key: string, n: number): number;
  /** Closes the group's connections (peers blocked with this rank get an error at once); the store stays. */
  leave(): void;
  /** Leaves the group and the store (on rank 0, the store's server stops). */
  destroy(): void;
};

/**
 * One AdamW update of every parameter in place (the math of src/train/optimizer.ts's unfused path, in float32): params,
 * m and v are written in the table (each made contiguous and exclusive first), grads are read. weightDecay[i] belongs
 * to params[i]; step is the 1-based update count; gradScale multiplies every gradient first.
 */
export function adamw(params: number[], grads: number[], m: number[], v: number[], weightDecay: number[], lr: number, beta1: number,
  beta2: number, eps: number, step: number, gradScale: number): void;
/** One SGD (optionally Nesterov-momentum) update of every parameter in place; bufs is empty without momentum. */
export function sgd(params: number[], grads: number[], bufs: number[], weightDecay: number[], lr: number, momentum: number,
  nesterov: boolean, gradScale: number): void;
/** Sum of squares of every element of every tensor, accumulated in double: the global gradient norm squared. */
export function sumSquares(ids: number[]): number;
