// Open MPI's C interface (Debian's libopenmpi-dev, found with pkg-config ompi-c) and the
// handles Swift cannot import: in Open MPI, MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM,
// MPI_IN_PLACE, MPI_ERRORS_RETURN ... are macros that take the address of a global
// object, so each is returned here by a static inline function.
// Only the RNNDistributed module imports this; no C type leaves it.
#ifndef SWIFT_RNN_CMPI_SHIM_H
#define SWIFT_RNN_CMPI_SHIM_H

#include <mpi.h>

static inline __attribute__((__always_inline__)) MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline __attribute__((__always_inline__)) MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline __attribute__((__always_inline__)) MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline __attribute__((__always_inline__)) MPI_Datatype cmpi_uint32(void) { return MPI_UINT32_T; }
static inline __attribute__((__always_inline__)) MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline __attribute__((__always_inline__)) MPI_Op cmpi_sum(void) { return MPI_SUM; }
static inline __attribute__((__always_inline__)) MPI_Op cmpi_max(void) { return MPI_MAX; }
static inline __attribute__((__always_inline__)) void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline __attribute__((__always_inline__)) MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline __attribute__((__always_inline__)) MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline __attribute__((__always_inline__)) int cmpi_success(void) { return MPI_SUCCESS; }
static inline __attribute__((__always_inline__)) int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline __attribute__((__always_inline__)) int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
