#include "mpi/reduce.hpp"

#include <cstring>

#include "mpi/comm.hpp"
#include "mpi/failure.hpp"

namespace trellis::mpi {

namespace {

template <class T>
T allreduce_scalar(T v, MPI_Datatype type, MPI_Op op) {
  check_in();
  T out{};
  MPI_Allreduce(&v, &out, 1, type, op, data_comm());
  return out;
}

}  // namespace

double allreduce_max(double v) {
  return allreduce_scalar(v, MPI_DOUBLE, MPI_MAX);
}
double allreduce_min(double v) {
  return allreduce_scalar(v, MPI_DOUBLE, MPI_MIN);
}
std::int64_t allreduce_max(std::int64_t v) {
  return allreduce_scalar(v, MPI_INT64_T, MPI_MAX);
}
std::int64_t allreduce_min(std::int64_t v) {
  return allreduce_scalar(v, MPI_INT64_T, MPI_MIN);
}
std::int64_t allreduce_sum(std::int64_t v) {
  return allreduce_scalar(v, MPI_INT64_T, MPI_SUM);
}
bool allreduce_or(bool v) {
  return allreduce_scalar(v ? 1 : 0, MPI_INT, MPI_LOR) != 0;
}
bool allreduce_and(bool v) {
  return allreduce_scalar(v ? 1 : 0, MPI_INT, MPI_LAND) != 0;
}

double allreduce_sum(double v) {
  std::vector<double> all(static_cast<std::size_t>(Runtime::size()));
  check_in();
  MPI_Allgather(&v, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, data_comm());
  double s = 0;
  for (double x : all) s += x;
  return s;
}

std::vector<std::string> allgather_strings(const std::string& local) {
  std::vector<std::size_t> counts;
  auto bytes = allgatherv_bytes(std::as_bytes(std::span<const char>(local.data(), local.size())), &counts);
  std::vector<std::string> out;
  out.reserve(counts.size());
  std::size_t off = 0;
  for (std::size_t c : counts) {
    out.emplace_back(reinterpret_cast<const char*>(bytes.data()) + off, c);
    off += c;
  }
  return out;
}

}  // namespace trellis::mpi
