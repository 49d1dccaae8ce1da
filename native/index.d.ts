// The addon's API. Every array argument is a Float32Array (in cover, a view of the tfjs-wasm heap); shapes are row-major;
// outputs are written in place and may not alias inputs unless a function says so. Every function is synchronous and
// splits its work over the addon's own thread pool (COVER_ACCEL_THREADS, default min(2, cores)); the BLAS is pinned to
// 1 thread. Wrong argument types throw a TypeError; dimensions, counts, strides and op codes must be integers in
// [0, 2^31), and every size product (batch*M*K, a shape's element count, ...) is checked for overflow and must stay at
// most 2^46 elements, before any array's length is compared with it: otherwise, and for too-short arrays, a RangeError
// ("<function>: ..."). All argument reading lives in src/napi_args.h.

export interface NativeInfo {
  /** 'openblas' | 'blis' | 'mkl' | 'blas' | 'none' (built-in gemm) */
  blas: string;
  blasPath: string;
  threads: number;
  /** Instruction set the addon itself was compiled for ('sse2' with the default portable flags). */
  simd: string;
  version: string;
}
export function info(): NativeInfo;
/** Sets the pool's thread count; returns the count now in effect. */
export function setThreads(n: number): number;

// ---- core kernels (core_*.cc) ----

/** Names of the binary ops, in code order: binary(op) takes the index. */
export const binaryOps: string[]; // ['add', 'sub', 'mul', 'div', 'pow', 'sqdiff', 'max', 'min', ...]
/** Names of the unary ops, in code order. */
export const unaryOps: string[]; // ['exp', 'log', 'neg', 'abs', 'sqrt', 'rsqrt', 'square', 'tanh', 'sigmoid', 'erf', 'relu', 'reciprocal', ...]
/** Names of the reductions, in code order. */
export const reduceOps: string[]; // ['sum', 'mean', 'max', 'min', 'prod']

/**
 * Batched matmul: for b < batch, C[b] = op(A[b]) @ op(B[b]) with op(A) [M, K], op(B) [K, N], C [M, N] contiguous at
 * c + b*M*N; A[b] starts at a + b*strideA and B[b] at b + b*strideB (stride 0 broadcasts one matrix over the batch).
 * Without transA, A[b] is stored [M, K]; with it, [K, M]. Likewise B: [K, N], or [N, K] with transB. With `bias` ([N]),
 * every row of C gets it added (C is filled with it and the product accumulated onto it: one pass, as a Linear layer).
 */
export function gemm(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, M: number, N: number, K: number,
  transA: boolean, transB: boolean, strideA: number, strideB: number, bias?: Float32Array): void;

/**
 * out = a OP b, elementwise with broadcasting: outShape has rank 0..6; aStrides/bStrides give, for each out dim, the
 * input's stride in elements (0 where that input is broadcast along the dim).
 */
export function binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, outShape: number[],
  aStrides: number[], bStrides: number[]): void;

/** out[i] = f(x[i]) for i < n; `alpha` is the op's parameter where it has one (e.g. leaky relu), else ignored. */
export function unary(op: number, x: Float32Array, out: Float32Array, n: number, alpha: number): void;

/**
 * x viewed as [outer, size, inner]; out [outer, inner] = reduction over the middle axis (sum/mean accumulate in double).
 */
export function reduce(op: number, x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void;

/** out = x transposed: x has `shape` (rank 1..6), out has shape[perm[i]] on axis i. */
export function transpose(x: Float32Array, out: Float32Array, shape: number[], perm: number[]): void;

/** Softmax over the last axis of x [rows, cols] (max-subtracted, double sum). */
export function softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;

/**
 * Strided copy: dst[i . dstStrides] = src[i . srcStrides] for every index i of `shape` (rank 1..6; strides in elements,
 * a 0 in srcStrides repeats). Slice, Concat, SplitV, Tile and PadV2 are this with different strides and offsets.
 */
export function copy(src: Float32Array, dst: Float32Array, shape: number[], srcStrides: number[], dstStrides: number[]): void;

// ---- fused kernels (fused_*.cc) ----

/** LayerNorm over the last axis of x [rows, cols] (biased variance): out = (x - mean) * rstd * gamma + beta; also
 * writes mean [rows] and rstd [rows] = 1/sqrt(var + eps) for the backward pass. */
export function layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array,
  mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void;

/** LayerNorm's backward: writes dx [rows, cols], dgamma [cols], dbeta [cols] (overwritten, not accumulated). */
export function layerNormBackward(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array,
  rstd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, cols: number): void;

/** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), over n elements. */
export function geluForward(x: Float32Array, out: Float32Array, n: number): void;

/** dx = dy * (Phi(x) + x phi(x)) over n elements. */
export function geluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void;

/**
 * Multi-head attention core on the qkv projection's output, with the reference's layout: qkv [Bx, S, 3, H, Dh]
 * (= [Bx, S, 3D], q | k | v, each head a contiguous Dh chunk). For every (b, h): P = softmax(q k^T * scale) [S, S],
 * o = P v. Writes out [Bx, S, H*Dh] (heads merged, as after the reference's transpose+reshape) and probs [Bx, H, S, S].
 */
export function attentionForward(qkv: Float32Array, out: Float32Array, probs: Float32Array, Bx: number, S: number,
  H: number, Dh: number, scale: number): void;

/** attentionForward's backward: from dout [Bx, S, H*Dh], qkv and the saved probs, writes dqkv [Bx, S, 3, H, Dh]. */
export function attentionBackward(dout: Float32Array, qkv: Float32Array, probs: Float32Array, dqkv: Float32Array,
  Bx: number, S: number, H: number, Dh: number, scale: number): void;

/** sum of x[i]^2 over every array (double accumulator): the global gradient norm squared, in one call. */
export function sumSquares(arrays: Float32Array[]): number;

/**
 * One AdamW step over many parameters, in place (p, m, v updated; g read). For each i with g' = g * gradScale:
 * m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2; p -= lr * ((m / c1) / (sqrt(v / c2) + eps) + wd[i] * p), with
 * c1 = 1 - b1^step, c2 = 1 - b2^step (step is the 1-based count of updates including this one).
 */
export function adamw(params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[],
  weightDecay: number[], lr: number, beta1: number, beta2: number, eps: number, step: number, gradScale: number): void;

/**
 * One SGD step over many parameters, in place: d = g * gradScale + wd[i] * p; with momentum > 0: buf = momentum * buf + d,
 * d = nesterov ? d + momentum * buf : buf; p -= lr * d. `bufs` may be empty when momentum is 0.
 */
export function sgd(params: Float32Array[], grads: Float32Array[], bufs: Float32Array[], weightDecay: number[], lr: number,
  momentum: number, nesterov: boolean, gradScale: number): void;
