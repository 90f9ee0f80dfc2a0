#!/usr/bin/env bash
# Measures row-major sgemm on the two Debian backends the tensor core can use (oneDNN, OpenBLAS) for
# the shapes AltCLIP runs, in the layouts the tensor core can issue, alternating backends, best of
# ROUNDS runs. This is how GEMMBackend's default was chosen (see the table in GEMMBackend.swift).
# Usage: Scripts/bench-gemm.sh [ROUNDS]   (needs gcc, libdnnl-dev, libopenblas-dev; run on a quiet machine)
set -euo pipefail
rounds=${1:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/gemm.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <oneapi/dnnl/dnnl.h>
#include <x86_64-linux-gnu/cblas.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
/* variant: d|o (oneDNN|OpenBLAS) + T (X·Wᵀ, W [N,K]) | N (X·W, W [K,N]) | C (W·Xᵀ) */
int main(int argc, char **argv) {
    const char *v = argv[1]; int M = atoi(argv[2]), N = atoi(argv[3]), K = atoi(argv[4]);
    float *X = aligned_alloc(64, (4L * M * K + 63) / 64 * 64), *W = aligned_alloc(64, (4L * N * K + 63) / 64 * 64);
    float *C = aligned_alloc(64, (4L * M * N + 63) / 64 * 64);
    for (long i = 0; i < (long)M * K; i++) X[i] = (i % 7) * 0.1f;
    for (long i = 0; i < (long)N * K; i++) W[i] = (i % 5) * 0.1f;
    double best = 1e9, total = 0; int r = 0;
    while (r < 3 || (total < 0.3 && r < 20000)) {
        double t0 = now();
        if (v[0] == 'd') {
            if (v[1] == 'T') dnnl_sgemm('N', 'T', M, N, K, 1.f, X, K, W, K, 0.f, C, N);
            else if (v[1] == 'N') dnnl_sgemm('N', 'N', M, N, K, 1.f, X, K, W, N, 0.f, C, N);
            else dnnl_sgemm('N', 'T', N, M, K, 1.f, W, K, X, K, 0.f, C, M);
        } else {
            if (v[1] == 'T') cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.f, X, K, W, K, 0.f, C, N);
            else if (v[1] == 'N') cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, X, K, W, N, 0.f, C, N);
            else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, M, K, 1.f, W, K, X, K, 0.f, C, M);
        }
        double t = now() - t0; if (r >= 1) { if (t < best) best = t; total += t; } r++;
    }
    printf("%s %d %d %d %.1f\n", v, M, N, K, 2.0 * M * N * K / best * 1e-9);
    return 0;
}
C
gcc -O2 "$dir/gemm.c" -o "$dir/gemm" -ldnnl -lopenblas
shapes=("16 1024 1024" "16 4096 1024" "64 1024 1024" "257 1024 1024" "257 4096 1024" "257 1024 4096"
        "2056 4096 1024" "257 257 64" "16 16 64")
for ((i = 0; i < rounds; i++)); do
    for s in "${shapes[@]}"; do for v in dT dN dC oT oN oC; do "$dir/gemm" $v $s; done; done
done | awk '{k = $2 "x" $3 "x" $4; if ($5 > b[k, $1]) b[k, $1] = $5; if (!(k in seen)) { seen[k] = 1; order[n++] = k } }
END {
    printf "%-16s %8s %8s %8s %8s %8s %8s   (GFLOP/s, best of runs)\n", "MxNxK", "dnnl-NT", "dnnl-NN", "dnnl-WXt", "oblas-NT", "oblas-NN", "oblas-WXt"
    for (i = 0; i < n; i++) { k = order[i]
        printf "%-16s %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f\n", k, b[k, "dT"], b[k, "dN"], b[k, "dC"], b[k, "oT"], b[k, "oN"], b[k, "oC"] }
}'
