#include "render/png.hpp"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "core/zlib.hpp"

namespace trellis::render {

namespace {

void check_shape(std::size_t bytes, int width, int height, const PngOptions& o) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("PNG: the image has no pixel");
  if (bytes != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4)
    throw std::invalid_argument("PNG: the pixels are not width x height x 4 bytes");
  if (o.compression_level < 0 || o.compression_level > 9)
    throw std::invalid_argument("PNG: the compression level is not 0-9");
}

// libpng reports errors by longjmp to the png_struct's jump buffer; the message is kept for the
// exception thrown after the jump.
[[noreturn]] void on_error(png_structp png, png_const_charp msg) {
  auto* what = static_cast<std::string*>(png_get_error_ptr(png));
  if (what) *what = msg;
  png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}

void set_header(png_structp png, png_infop info, int width, int height, const PngOptions& o,
                const std::vector<std::uint32_t>* palette = nullptr) {
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               palette ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, o.compression_level);
  png_set_filter(png, PNG_FILTER_TYPE_BASE,
                 palette              ? PNG_FILTER_NONE
                 : o.adaptive_filters ? PNG_ALL_FILTERS
                                      : PNG_FILTER_SUB);
  if (!palette) return;
  std::vector<png_color> colours(palette->size());
  std::vector<png_byte> alphas(palette->size());
  for (std::size_t i = 0; i < palette->size(); ++i) {
    const auto* c = reinterpret_cast<const std::uint8_t*>(&(*palette)[i]);  // the pixel's R, G, B, A bytes
    colours[i] = {c[0], c[1], c[2]};
    alphas[i] = c[3];
  }
  png_set_PLTE(png, info, colours.data(), static_cast<int>(colours.size()));
  png_set_tRNS(png, info, alphas.data(), static_cast<int>(alphas.size()), nullptr);
}

// The palette indexes of the pixels when they have at most 256 distinct colours (a small open-addressing
// table of the colours seen, which gives up at the 257th), else false.
bool to_palette(std::span<const std::uint8_t> rgba, std::vector<std::uint32_t>& palette,
                std::vector<std::uint8_t>& index) {
  constexpr std::size_t kSlots = 1024;  // a power of two, at least 4 x 256
  std::uint32_t keys[kSlots];
  std::int16_t values[kSlots];
  std::fill(std::begin(values), std::end(values), std::int16_t{-1});
  const std::size_t n = rgba.size() / 4;
  index.resize(n);
  palette.clear();
  std::uint32_t last = 0;
  int last_index = -1;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t c;
    std::memcpy(&c, rgba.data() + i * 4, 4);
    if (c == last && last_index >= 0) {  // runs are common in maps
      index[i] = static_cast<std::uint8_t>(last_index);
      continue;
    }
    std::size_t slot = (c * 2654435761u) >> 22;  // the top 10 bits of a multiplicative hash
    while (values[slot] >= 0 && keys[slot] != c) slot = (slot + 1) & (kSlots - 1);
    if (values[slot] < 0) {
      if (palette.size() == 256) return false;
      keys[slot] = c;
      values[slot] = static_cast<std::int16_t>(palette.size());
      palette.push_back(c);
    }
    last = c, last_index = values[slot];
    index[i] = static_cast<std::uint8_t>(last_index);
  }
  return true;
}

// The zlib stream of a PNG's image data (core/zlib.hpp: libdeflate), which on rendered tiles at level 1
// takes 1.07 ms and 43.5 KB against libpng's zlib at 1.81 ms and 50.0 KB (docs/benchmarks.md,
// "Rendering"). Each row is prefixed by its filter type: Sub (1) for RGBA pixels, None (0) for palette
// indexes.
std::string image_data(const std::uint8_t* rows, std::size_t stride, int height, bool sub, int level) {
  // Buffers kept by the thread: a tile server encodes tile after tile of the same size, and clearing a
  // fresh buffer for every tile was a measurable part of its time.
  thread_local std::vector<std::uint8_t> filtered;
  thread_local std::vector<std::byte> compressed;
  filtered.resize((stride + 1) * static_cast<std::size_t>(height));
  for (int r = 0; r < height; ++r) {
    const std::uint8_t* in = rows + static_cast<std::size_t>(r) * stride;
    std::uint8_t* out = filtered.data() + static_cast<std::size_t>(r) * (stride + 1);
    out[0] = sub ? 1 : 0;
    if (!sub) {
      std::memcpy(out + 1, in, stride);
      continue;
    }
    std::memcpy(out + 1, in, std::min<std::size_t>(4, stride));  // the first pixel has no left neighbour
    for (std::size_t i = 4; i < stride; ++i) out[1 + i] = static_cast<std::uint8_t>(in[i] - in[i - 4]);
  }
  const std::size_t n = zlib_compress_into(std::as_bytes(std::span(filtered)), level, compressed);
  return std::string(reinterpret_cast<const char*>(compressed.data()), n);
}

void append(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), n);
}
void no_flush(png_structp) {}

}  // namespace

std::string encode_png_rgba(std::span<const std::uint8_t> rgba, int width, int height, const PngOptions& o) {
  check_shape(rgba.size(), width, height, o);
  std::string error, out;
  std::vector<std::uint32_t> palette;
  std::vector<std::uint8_t> index;
  const bool indexed = o.palette && to_palette(rgba, palette, index);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_error, on_warning);
  if (!png) throw std::runtime_error("PNG: out of memory");
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("PNG: " + (error.empty() ? std::string("out of memory") : error));
  }
  out.reserve(rgba.size() / 4);
  png_set_write_fn(png, &out, append, no_flush);
  set_header(png, info, width, height, o, indexed ? &palette : nullptr);
  png_write_info(png, info);  // signature, IHDR, and a palette image's PLTE and tRNS
  const std::uint8_t* rows = indexed ? index.data() : rgba.data();
  const std::size_t stride = static_cast<std::size_t>(width) * (indexed ? 1 : 4);
  if (o.compression_level > 0 && !(o.adaptive_filters && !indexed)) {
    // libpng frames the chunks (lengths, CRCs); the image data is compressed by libdeflate.
    const std::string z = image_data(rows, stride, height, !indexed, o.compression_level);
    static const png_byte kIdat[5] = "IDAT", kIend[5] = "IEND";
    constexpr std::size_t kChunk = std::size_t{1} << 30;  // below PNG's 2^31 - 1 bytes per chunk
    for (std::size_t at = 0; at < z.size(); at += kChunk)
      png_write_chunk(png, kIdat, reinterpret_cast<png_const_bytep>(z.data() + at),
                      std::min(kChunk, z.size() - at));
    png_write_chunk(png, kIend, nullptr, 0);
  } else {
    for (int r = 0; r < height; ++r)
      png_write_row(png, const_cast<png_bytep>(rows + static_cast<std::size_t>(r) * stride));
    png_write_end(png, nullptr);
  }
  png_destroy_write_struct(&png, &info);
  return out;
}

struct PngFileWriter::State {
  std::FILE* file = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  int width = 0, height = 0, written = 0;
  std::string error;
};

PngFileWriter::PngFileWriter(const std::string& path, int width, int height, const PngOptions& o)
    : s_(new State) {
  try {
    check_shape(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4, width, height, o);
  } catch (...) {
    delete s_;
    throw;
  }
  s_->width = width, s_->height = height;
  s_->file = std::fopen(path.c_str(), "wb");
  if (!s_->file) {
    delete s_;
    throw std::runtime_error("cannot create " + path);
  }
  s_->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s_->error, on_error, on_warning);
  if (s_->png) s_->info = png_create_info_struct(s_->png);
  if (!s_->png || !s_->info || setjmp(png_jmpbuf(s_->png))) {
    const std::string why = s_->error.empty() ? "out of memory" : s_->error;
    png_destroy_write_struct(&s_->png, &s_->info);
    std::fclose(s_->file);
    delete s_;
    throw std::runtime_error("PNG " + path + ": " + why);
  }
  png_init_io(s_->png, s_->file);
  set_header(s_->png, s_->info, width, height, o);
  png_write_info(s_->png, s_->info);
}

PngFileWriter::~PngFileWriter() {
  if (!s_) return;
  png_destroy_write_struct(&s_->png, &s_->info);
  if (s_->file) std::fclose(s_->file);
  delete s_;
}

void PngFileWriter::write_rows(std::span<const std::uint8_t> rgba) {
  const std::size_t stride = static_cast<std::size_t>(s_->width) * 4;
  if (rgba.size() % stride) throw std::runtime_error("PNG: a partial row");
  const int rows = static_cast<int>(rgba.size() / stride);
  if (s_->written + rows > s_->height) throw std::runtime_error("PNG: more rows than the image has");
  if (setjmp(png_jmpbuf(s_->png))) throw std::runtime_error("PNG: " + s_->error);
  for (int r = 0; r < rows; ++r)
    png_write_row(s_->png, const_cast<png_bytep>(rgba.data() + static_cast<std::size_t>(r) * stride));
  s_->written += rows;
}

void PngFileWriter::finish() {
  if (s_->written != s_->height) throw std::runtime_error("PNG: rows are missing");
  if (setjmp(png_jmpbuf(s_->png))) throw std::runtime_error("PNG: " + s_->error);
  png_write_end(s_->png, nullptr);
  const bool ok = std::fflush(s_->file) == 0 && !std::ferror(s_->file);
  const bool closed = std::fclose(s_->file) == 0;
  s_->file = nullptr;
  if (!ok || !closed) throw std::runtime_error("PNG: cannot write the file");
}

DecodedPng decode_png(std::span<const std::byte> bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    throw std::runtime_error(std::string("not a PNG: ") + image.message);
  image.format = PNG_FORMAT_RGBA;
  DecodedPng d;
  d.width = static_cast<int>(image.width), d.height = static_cast<int>(image.height);
  d.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, d.rgba.data(), 0, nullptr)) {
    const std::string why = image.message;
    png_image_free(&image);
    throw std::runtime_error("corrupt PNG: " + why);
  }
  return d;
}

DecodedPng decode_png_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_png(std::as_bytes(std::span(s.data(), s.size())));
}

}  // namespace trellis::render
