#pragma once
// Byte-level collectives over the data communicator, safe beyond 2 GiB (MPI counts are int: larger
// transfers go in several passes). Each calls check_in() first (see failure.hpp).
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace trellis::mpi {

// Every rank's bytes concatenated in rank order, on every rank; counts (if given) gets each rank's size.
std::vector<std::byte> allgatherv_bytes(std::span<const std::byte> local,
                                        std::vector<std::size_t>* counts = nullptr);

// Every rank's bytes concatenated in rank order on `root` (empty elsewhere); counts (if given) gets each
// rank's size on every rank.
std::vector<std::byte> gatherv_bytes(std::span<const std::byte> local, int root,
                                     std::vector<std::size_t>* counts = nullptr);
// The same into `out` on root (resized to the total; left alone elsewhere), whose capacity is reused: a
// loop of gathers into one buffer touches fresh memory once, not once per gather (page faults are a
// large part of moving bytes between ranks on one node). Collective, deterministic; throws as
// gatherv_bytes does.
void gatherv_bytes_into(std::span<const std::byte> local, int root, std::vector<std::byte>& out,
                        std::vector<std::size_t>* counts = nullptr);

// Replaces `buf` on every rank with root's `buf`.
void broadcast_bytes(std::vector<std::byte>& buf, int root);
void broadcast_string(std::string& s, int root);

// Trivially copyable values of every rank, concatenated in rank order, on every rank.
template <class T>
std::vector<T> allgatherv_values(const std::vector<T>& local) {
  static_assert(std::is_trivially_copyable_v<T>);
  auto bytes = allgatherv_bytes(std::as_bytes(std::span<const T>(local)));
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

namespace detail {
// The largest byte count or displacement passed to one MPI call (default INT_MAX). Tests lower it to
// exercise the multi-pass paths; it must be the same on every rank.
void set_message_limit(std::size_t bytes);
std::size_t message_limit();
}  // namespace detail

}  // namespace trellis::mpi
