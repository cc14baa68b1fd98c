#pragma once
// RFC 1950 zlib streams with libdeflate (faster than zlib, in both directions): GeoTrellis' catalog tiles
// (io/catalog/tile_codec.hpp) and the image data of PNG tiles (render/png.hpp). Not collective.
#include <cstddef>
#include <span>
#include <vector>

namespace trellis {

// `raw` as a zlib stream at `level` (1-12; 6 is zlib's and java.util.zip.Deflater's default).
// Deterministic, thread-safe (one compressor per thread and level). Throws IoError when libdeflate cannot
// start.
std::vector<std::byte> zlib_compress(std::span<const std::byte> raw, int level = 6);

// The same stream, written into `buffer`, which grows to the stream's bound and is never shrunk, so that a
// caller keeping it (one per thread) pays no allocation or clearing per call. Returns the stream's length.
std::size_t zlib_compress_into(std::span<const std::byte> raw, int level, std::vector<std::byte>& buffer);

// The bytes of one complete zlib stream. Thread-safe. Throws IoError when `compressed` is not one complete
// stream (cut short, followed by other bytes, corrupt).
std::vector<std::byte> zlib_decompress(std::span<const std::byte> compressed);

}  // namespace trellis
