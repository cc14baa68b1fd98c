#include "mpi/work.hpp"

#include <cstdint>
#include <cstring>

#include "core/error.hpp"
#include "mpi/collectives.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

std::vector<std::string> allgather_indexed(std::size_t n,
                                           const std::function<std::string(std::size_t)>& item) {
  const std::size_t rank = static_cast<std::size_t>(Runtime::rank()),
                    size = static_cast<std::size_t>(Runtime::size());
  // This rank's results, each as a u64 length and its bytes.
  std::vector<std::byte> mine;
  for (std::size_t i = rank; i < n; i += size) {
    const std::string s = item(i);
    const std::uint64_t len = s.size();
    const std::size_t at = mine.size();
    mine.resize(at + sizeof len + s.size());
    std::memcpy(mine.data() + at, &len, sizeof len);
    if (!s.empty()) std::memcpy(mine.data() + at + sizeof len, s.data(), s.size());
  }
  std::vector<std::size_t> counts;
  const std::vector<std::byte> all = allgatherv_bytes(mine, &counts);
  std::vector<std::string> out(n);
  std::size_t off = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    const std::size_t end = off + counts[r];
    for (std::size_t i = r; i < n; i += size) {
      std::uint64_t len = 0;
      if (end - off < sizeof len)
        throw IoError("corrupt message: indexed results of rank " + std::to_string(r));
      std::memcpy(&len, all.data() + off, sizeof len);
      off += sizeof len;
      if (end - off < len) throw IoError("corrupt message: indexed results of rank " + std::to_string(r));
      out[i].assign(reinterpret_cast<const char*>(all.data()) + off, static_cast<std::size_t>(len));
      off += static_cast<std::size_t>(len);
    }
    if (off != end) throw IoError("corrupt message: indexed results of rank " + std::to_string(r));
  }
  return out;
}

}  // namespace trellis::mpi
