// zlib streams with libdeflate (zlib.hpp).
#include "core/zlib.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "core/error.hpp"

namespace trellis {

namespace {

libdeflate_compressor* compressor(int level) {
  using Compressor = std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)>;
  thread_local std::map<int, Compressor> compressors;  // one per thread and level
  auto it = compressors.find(level);
  if (it == compressors.end()) {
    Compressor c(libdeflate_alloc_compressor(level), &libdeflate_free_compressor);
    if (!c) throw IoError("libdeflate could not start (level " + std::to_string(level) + ")");
    it = compressors.emplace(level, std::move(c)).first;
  }
  return it->second.get();
}

}  // namespace

std::size_t zlib_compress_into(std::span<const std::byte> raw, int level, std::vector<std::byte>& buffer) {
  libdeflate_compressor* c = compressor(level);
  const std::size_t bound = libdeflate_zlib_compress_bound(c, raw.size());
  if (buffer.size() < bound) buffer.resize(bound);
  const std::size_t n = libdeflate_zlib_compress(c, raw.data(), raw.size(), buffer.data(), buffer.size());
  if (n == 0) throw IoError("libdeflate could not compress");  // not reached: the buffer holds the bound
  return n;
}

std::vector<std::byte> zlib_compress(std::span<const std::byte> raw, int level) {
  std::vector<std::byte> out;
  out.resize(zlib_compress_into(raw, level, out));
  return out;
}

std::vector<std::byte> zlib_decompress(std::span<const std::byte> compressed) {
  // libdeflate needs the whole output buffer up front: start from the size of this thread's last stream
  // (the tiles of a layer are alike), grow when short.
  using Decompressor = std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)>;
  thread_local Decompressor d(libdeflate_alloc_decompressor(), &libdeflate_free_decompressor);
  thread_local std::size_t last = 0;
  if (!d) throw IoError("libdeflate could not start");
  // Deflate expands at most 1032:1, so a stream that needs more is corrupt.
  const std::size_t most = 1032 * compressed.size() + 1024;
  std::vector<std::byte> out(std::min(most, std::max({4 * compressed.size(), last, std::size_t{1024}})));
  while (true) {
    std::size_t used = 0, written = 0;
    const libdeflate_result rc = libdeflate_zlib_decompress_ex(d.get(), compressed.data(), compressed.size(),
                                                               out.data(), out.size(), &used, &written);
    if (rc == LIBDEFLATE_INSUFFICIENT_SPACE && out.size() < most) {
      out.resize(std::min(most, 4 * out.size()));
      continue;
    }
    if (rc != LIBDEFLATE_SUCCESS || used != compressed.size()) throw IoError("not a complete zlib stream");
    out.resize(written);
    last = written;
    return out;
  }
}

}  // namespace trellis
