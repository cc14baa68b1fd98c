#pragma once
// PNG files of 8-bit RGBA pixels, with libpng (the image data of encode_png_rgba compressed by
// core/zlib.hpp, libdeflate): the encoder render_png and the tile server use, and the decoder the tests
// read them back with. Pure code (no MPI); files are written by the callers.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace trellis::render {

struct PngOptions {
  // Deflate level, 0 (stored) to 9. On rendered map tiles (RGBA, Sub filter) level 1 is about 5 times as
  // fast as zlib's default 6 for files about 1.5 times as large (docs/benchmarks.md, "Rendering").
  // encode_png_rgba compresses levels 1-9 with libdeflate (about 1.7 times as fast as zlib at level 1,
  // and smaller), level 0 and adaptive filters with libpng's zlib.
  int compression_level = 1;
  // Row filters of RGBA images: false, the Sub filter on every row, which on rendered maps is both
  // faster and smaller than libpng's adaptive choice (measured on NDVI tiles: level 6, 10 ms and 39 KB
  // against 15 ms and 45 KB); true, libpng's adaptive choice per row. Palette images use no filter.
  bool adaptive_filters = false;
  // An image of at most 256 distinct RGBA colours (a discrete colour map) is written as a palette
  // image (PLTE + tRNS, one byte per pixel): the same pixels once decoded, a quarter of the bytes to
  // compress. false: always RGBA.
  bool palette = true;
};

// Encodes width x height RGBA pixels (4 bytes per pixel, rows top to bottom, no padding) as a PNG,
// 8 bits per channel or palette index, no interlace: a palette image when options.palette and the
// pixels have at most 256 distinct colours (the palette in order of first appearance), else RGBA.
// Decoding gives the pixels back exactly. Deterministic: the same pixels and options give the same
// bytes. Throws std::invalid_argument when the sizes disagree or the level is outside 0-9, and
// std::runtime_error when libpng fails.
std::string encode_png_rgba(std::span<const std::uint8_t> rgba, int width, int height,
                            const PngOptions& options = {});

// Row by row encoding of a large image into a file, for stitched layers: rows are given top to bottom and
// only one row is needed at a time.
class PngFileWriter {
 public:
  // Opens `path` for writing (truncating it) and writes the header. Throws std::runtime_error when the
  // file cannot be opened, std::invalid_argument as encode_png_rgba.
  PngFileWriter(const std::string& path, int width, int height, const PngOptions& options = {});
  ~PngFileWriter();  // closes the file; an unfinished image is left incomplete (callers remove it)
  PngFileWriter(const PngFileWriter&) = delete;
  PngFileWriter& operator=(const PngFileWriter&) = delete;
  // Writes the next rows (a multiple of width * 4 bytes). Throws std::runtime_error on a write error or
  // when more rows than the height are given.
  void write_rows(std::span<const std::uint8_t> rgba);
  // Writes the end of the image and closes the file; throws std::runtime_error when rows are missing or
  // the file cannot be written.
  void finish();

 private:
  struct State;
  State* s_;
};

// A decoded PNG, expanded to 8-bit RGBA whatever its colour type and depth (16-bit channels are
// scaled down).
struct DecodedPng {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgba;  // width * height * 4
  std::uint8_t at(int x, int y, int channel) const {
    return rgba[(static_cast<std::size_t>(y) * width + x) * 4 + channel];
  }
};

// Decodes a PNG. Throws std::runtime_error when it is not a valid PNG.
DecodedPng decode_png(std::span<const std::byte> bytes);
DecodedPng decode_png_file(const std::string& path);

}  // namespace trellis::render
