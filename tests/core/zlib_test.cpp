// zlib streams (core/zlib.hpp): round trips at any ratio, against zlib's own reader too, and refusals.
#include "core/zlib.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "core/error.hpp"

namespace trellis {
namespace {

// zlib's uncompress: a reader independent of libdeflate.
std::vector<std::byte> inflate_with_zlib(const std::vector<std::byte>& z, std::size_t size) {
  std::vector<std::byte> out(size);
  uLongf n = static_cast<uLongf>(size);
  EXPECT_EQ(uncompress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(z.data()),
                       static_cast<uLong>(z.size())),
            Z_OK);
  out.resize(n);
  return out;
}

// Inflating grows its buffer for streams that expand far (all-NoData tiles), and refuses streams that are
// cut short, followed by other bytes, or not zlib.
TEST(Zlib, InflatesAnyRatioAndRefusesBrokenStreams) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5} << 20}) {
    std::vector<std::byte> raw(n, std::byte{0});
    for (std::size_t i = 0; i < n; i += 4099) raw[i] = std::byte{7};
    const auto z = zlib_compress(raw);
    EXPECT_EQ(zlib_decompress(z), raw) << n;
    EXPECT_EQ(inflate_with_zlib(z, n), raw) << n;
  }
  std::vector<std::byte> raw(300000);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::byte>(i * 131 % 251);
  const auto z = zlib_compress(raw);
  EXPECT_EQ(zlib_decompress(z), raw);
  auto cut = z;
  cut.resize(z.size() / 2);
  EXPECT_THROW(zlib_decompress(cut), IoError);
  auto longer = z;
  longer.push_back(std::byte{0});
  EXPECT_THROW(zlib_decompress(longer), IoError);
  EXPECT_THROW(zlib_decompress(raw), IoError);
  EXPECT_THROW(zlib_decompress({}), IoError);
}

// zlib_compress_into writes the same stream into a kept buffer, which never shrinks; the level has its
// effect.
TEST(Zlib, CompressesIntoAKeptBuffer) {
  std::vector<std::byte> raw(100000);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::byte>((i / 7) * 13 % 97);
  std::vector<std::byte> buffer;
  for (int level : {1, 6, 12}) {
    const std::size_t n = zlib_compress_into(raw, level, buffer);
    const auto whole = zlib_compress(raw, level);
    ASSERT_EQ(n, whole.size()) << level;
    EXPECT_TRUE(std::equal(whole.begin(), whole.end(), buffer.begin())) << level;
    EXPECT_GE(buffer.size(), n);
    EXPECT_EQ(inflate_with_zlib(whole, raw.size()), raw) << level;
  }
  const std::size_t kept = buffer.size();
  zlib_compress_into(std::span(raw).first(10), 1, buffer);
  EXPECT_EQ(buffer.size(), kept);
  EXPECT_LT(zlib_compress(raw, 12).size(), zlib_compress(raw, 1).size());
}

}  // namespace
}  // namespace trellis
