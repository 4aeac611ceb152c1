// The C interfaces of oneDNN (Debian's libdnnl-dev: dnnl_sgemm, the CPU ISA it
// dispatches to) and the two OpenMP calls that set its thread count. Debian builds oneDNN
// on GNU OpenMP (libgomp), whose thread count is an ICV of the calling thread: each
// thread that calls dnnl_sgemm can choose its own. The declarations are OpenMP's
// (omp.h is GCC's, not on clang's include path).
// Only the Linalg module imports this; no C type leaves it.
#ifndef SWIFT_RNN_CDNNL_SHIM_H
#define SWIFT_RNN_CDNNL_SHIM_H

#include <oneapi/dnnl/dnnl.h>

void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);

#endif
