// The BLAS, found at run time (dlopen) so that building needs no BLAS headers and a machine without one still works:
// $COVER_BLAS, then libopenblas.so.0, libopenblas.so, libblis.so.4, libmkl_rt.so, libblas.so.3; else a built-in gemm.
#pragma once

namespace cover {

/** Loads the BLAS once (idempotent) and pins its own threading to 1 thread. */
void initBlas();

/** 'openblas', 'blis', 'mkl', 'blas' (reference or other), or 'none' (the built-in gemm). */
const char* blasName();

/** The library file that was loaded ('' for none). */
const char* blasPath();

/**
 * Row-major, single-threaded: C = alpha * op(A) * op(B) + beta * C, op(A) [M, K], op(B) [K, N], C [M, N], with leading
 * dimensions lda/ldb/ldc in elements (A is stored [M, lda] without transA, [K, lda] with it). Callers split work across
 * the pool themselves; this never spawns threads.
 */
void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
           float beta, float* C, int ldc);

}  // namespace cover
