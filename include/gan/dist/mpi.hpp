#pragma once
/// The MPI part of gan (optional: the CMake target gan::dist, built with -DGAN_WITH_MPI=ON,
/// links MPI; nothing else in the library includes gan/dist/). This header: the MPI
/// environment of a program and the checked calls the rest of gan/dist/ makes.
///
///   gan::dist::Environment mpi(argc, argv);   // MPI_Init only when mpirun started us
///   mpi.rank(), mpi.size(), mpi.comm()        // 0 and 1 when it did not
///   mpi.abort(2);                             // ends every process of the job
///
/// Environment initialises MPI (MPI_THREAD_FUNNELED: OpenMP threads never call MPI) when a
/// launcher started the process (launch.hpp) and MPI is not initialised yet, works on a
/// duplicate of MPI_COMM_WORLD whose errors return to the caller instead of ending the
/// job, and finalises what it initialised. A process started without a launcher does not
/// touch MPI at all: it is rank 0 of 1 and comm() is MPI_COMM_NULL; with always = true it
/// initialises MPI anyway (a job of one process).
///
/// Every MPI call goes through check(), which turns a failure into a gan::Error naming
/// the call and MPI's reason.

#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "gan/core/error.hpp"
#include "gan/dist/launch.hpp"

namespace gan::dist {

/// Throws gan::Error("MPI: <call> failed: <MPI's reason>") unless rc is MPI_SUCCESS.
inline void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char reason[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(rc, reason, &length) != MPI_SUCCESS) length = 0;
  throw Error(std::string("MPI: ") + call + " failed: " +
              (length > 0 ? std::string(reason, static_cast<std::size_t>(length))
                          : "error " + std::to_string(rc)));
}

/// The MPI datatype of T.
template <class T>
MPI_Datatype datatype() noexcept {
  if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, int>)
    return MPI_INT;
  else {
    static_assert(std::is_same_v<T, std::uint64_t>, "gan::dist: float, double, int or uint64");
    return MPI_UINT64_T;
  }
}

class Environment {
 public:
  Environment(int& argc, char**& argv, bool always = false) {
    if (!always && !launch_from_environment().launched()) return;
    int initialised = 0;
    check(MPI_Initialized(&initialised), "MPI_Initialized");
    if (!initialised) {
      int provided = 0;
      check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      owns_mpi_ = true;
    }
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }

  ~Environment() {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    if (owns_mpi_) MPI_Finalize();
  }

  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  /// True when MPI runs (a launcher started this process).
  bool active() const noexcept { return comm_ != MPI_COMM_NULL; }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  MPI_Comm comm() const noexcept { return comm_; }

  /// Ends every process of the job with exit code `code` (mpirun returns it); without
  /// MPI, this process alone.
  [[noreturn]] void abort(int code) const noexcept {
    if (comm_ != MPI_COMM_NULL) MPI_Abort(comm_, code);
    std::_Exit(code);
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  bool owns_mpi_ = false;
};

}  // namespace gan::dist
