#include "mpi/collectives.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <numeric>
#include <stdexcept>

#include "mpi/comm.hpp"
#include "mpi/failure.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

namespace {

std::size_t g_message_limit = INT_MAX;

std::vector<std::size_t> prefix(const std::vector<std::uint64_t>& counts) {
  std::vector<std::size_t> d(counts.size() + 1, 0);
  for (std::size_t i = 0; i < counts.size(); ++i) d[i + 1] = d[i] + counts[i];
  return d;
}

// Every rank's count, on every rank (guarded region: no throw).
std::vector<std::uint64_t> allgather_count(std::uint64_t mine, MPI_Comm comm, int n) {
  std::vector<std::uint64_t> counts(n);
  MPI_Allgather(&mine, 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T, comm);
  return counts;
}

// Allgatherv / gatherv of bytes whose counts every rank knows; several passes of at most
// message_limit() bytes in all when the total is larger.
void gatherv_passes(const std::byte* send, const std::vector<std::uint64_t>& counts, std::byte* recv,
                    int root, bool all, MPI_Comm comm) {
  const int n = static_cast<int>(counts.size());
  const int me = Runtime::rank();
  const auto displ = prefix(counts);
  const std::size_t total = displ[n];
  const std::size_t limit = detail::message_limit();
  const bool receives = all || me == root;
  if (total <= limit) {
    std::vector<int> c(n), d(n);
    for (int i = 0; i < n; ++i) {
      c[i] = static_cast<int>(counts[i]);
      d[i] = static_cast<int>(displ[i]);
    }
    if (all)
      MPI_Allgatherv(send, c[me], MPI_BYTE, recv, c.data(), d.data(), MPI_BYTE, comm);
    else
      MPI_Gatherv(send, c[me], MPI_BYTE, recv, c.data(), d.data(), MPI_BYTE, root, comm);
    return;
  }
  const std::size_t chunk = std::max<std::size_t>(1, limit / static_cast<std::size_t>(n));
  const std::uint64_t biggest = *std::max_element(counts.begin(), counts.end());
  const std::size_t passes = (biggest + chunk - 1) / chunk;
  std::vector<std::byte> tmp(receives ? chunk * static_cast<std::size_t>(n) : 0);
  std::vector<int> c(n), d(n);
  for (std::size_t p = 0; p < passes; ++p) {
    const std::size_t off = p * chunk;
    for (int i = 0; i < n; ++i) {
      c[i] = counts[i] > off ? static_cast<int>(std::min<std::uint64_t>(chunk, counts[i] - off)) : 0;
      d[i] = static_cast<int>(chunk * static_cast<std::size_t>(i));
    }
    const std::byte* s = c[me] ? send + off : send;
    if (all)
      MPI_Allgatherv(s, c[me], MPI_BYTE, tmp.data(), c.data(), d.data(), MPI_BYTE, comm);
    else
      MPI_Gatherv(s, c[me], MPI_BYTE, tmp.data(), c.data(), d.data(), MPI_BYTE, root, comm);
    if (receives)
      for (int i = 0; i < n; ++i)
        if (c[i]) std::memcpy(recv + displ[i] + off, tmp.data() + d[i], static_cast<std::size_t>(c[i]));
  }
}

void gather_impl(std::span<const std::byte> local, int root, bool all, std::vector<std::byte>& out,
                 std::vector<std::size_t>* counts_out) {
  const int n = Runtime::size();
  if (!all && (root < 0 || root >= n)) throw std::out_of_range("gatherv_bytes: bad root rank");
  MPI_Comm comm = data_comm();
  check_in();
  guarded("gatherv", [&] {
    auto counts = allgather_count(local.size(), comm, n);
    if (all || Runtime::rank() == root)
      out.resize(std::accumulate(counts.begin(), counts.end(), std::size_t{0}));
    gatherv_passes(local.data(), counts, out.data(), root, all, comm);
    if (counts_out) counts_out->assign(counts.begin(), counts.end());
  });
}

}  // namespace

std::vector<std::byte> allgatherv_bytes(std::span<const std::byte> local, std::vector<std::size_t>* counts) {
  std::vector<std::byte> out;
  gather_impl(local, 0, true, out, counts);
  return out;
}

std::vector<std::byte> gatherv_bytes(std::span<const std::byte> local, int root,
                                     std::vector<std::size_t>* counts) {
  std::vector<std::byte> out;
  gather_impl(local, root, false, out, counts);
  return out;
}

void gatherv_bytes_into(std::span<const std::byte> local, int root, std::vector<std::byte>& out,
                        std::vector<std::size_t>* counts) {
  gather_impl(local, root, false, out, counts);
}

void broadcast_bytes(std::vector<std::byte>& buf, int root) {
  if (root < 0 || root >= Runtime::size()) throw std::out_of_range("broadcast_bytes: bad root rank");
  MPI_Comm comm = data_comm();
  check_in();
  guarded("broadcast", [&] {
    std::uint64_t size = buf.size();
    MPI_Bcast(&size, 1, MPI_UINT64_T, root, comm);
    if (Runtime::rank() != root) buf.resize(size);
    const std::size_t limit = std::max<std::size_t>(1, detail::message_limit());
    for (std::size_t off = 0; off < size; off += limit) {
      const int c = static_cast<int>(std::min<std::size_t>(limit, size - off));
      MPI_Bcast(buf.data() + off, c, MPI_BYTE, root, comm);
    }
  });
}

void broadcast_string(std::string& s, int root) {
  std::vector<std::byte> buf(s.size());
  if (!s.empty()) std::memcpy(buf.data(), s.data(), s.size());
  broadcast_bytes(buf, root);
  s.assign(reinterpret_cast<const char*>(buf.data()), buf.size());
}

namespace detail {
void set_message_limit(std::size_t bytes) {
  g_message_limit = std::clamp<std::size_t>(bytes, 1, INT_MAX);
}
std::size_t message_limit() {
  return g_message_limit;
}
}  // namespace detail

}  // namespace trellis::mpi
