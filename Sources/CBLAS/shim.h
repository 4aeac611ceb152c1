// The C interfaces that Linalg wraps: CBLAS and OpenBLAS's thread control
// (from libopenblas-dev) and LAPACKE (from liblapacke-dev).
// Only the Linalg module imports this; no C type leaves it.
#ifndef SWIFT_RNN_CBLAS_SHIM_H
#define SWIFT_RNN_CBLAS_SHIM_H

#include <cblas.h>
#include <lapacke.h>

#endif
