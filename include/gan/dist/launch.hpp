#pragma once
/// What the launcher (mpirun, mpiexec, srun) told this process about its job, read from
/// the environment alone: no MPI needed. A program built without MPI uses it to refuse a
/// start under `mpirun -np N` (N independent copies would each train the whole model and
/// overwrite each other's files); one built with MPI uses it to initialise MPI only when
/// a launcher started it, so a plain start stays exactly a program on its own.
///
///   Open MPI: OMPI_COMM_WORLD_SIZE / OMPI_COMM_WORLD_RANK
///   MPICH, Intel MPI (Hydra) and Slurm's PMI: PMI_SIZE / PMI_RANK

#include <cstdlib>
#include <utility>

namespace gan::dist {

struct Launch {
  int size = 0;  ///< processes the launcher started; 0: no launcher
  int rank = 0;  ///< this one's rank, 0 without a launcher
  bool launched() const noexcept { return size > 0; }
};

namespace detail {
/// A whole number >= 0 from the environment, or -1 when unset or not a number.
inline int environment_count(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return -1;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return (*end == '\0' && x >= 0 && x < (1L << 30)) ? static_cast<int>(x) : -1;
}
}  // namespace detail

inline Launch launch_from_environment() {
  for (const auto& [size, rank] : {std::pair{"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"},
                                   std::pair{"PMI_SIZE", "PMI_RANK"}}) {
    const int n = detail::environment_count(size), r = detail::environment_count(rank);
    if (n > 0) return {n, r > 0 ? r : 0};
  }
  return {};
}

}  // namespace gan::dist
