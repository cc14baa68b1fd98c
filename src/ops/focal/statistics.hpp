#pragma once
// The arithmetic of `focal`: a statistic over a neighbourhood of every cell of a buffered window
// (semantics.md, "Focal operations"). No communication: the op hands in tiles buffered by the halo
// exchange, so every cell sees the neighbours it has in the stitched layer.
//
// Cost does not grow with the neighbourhood where the statistic allows it:
//   square sum, mean, variance, standard deviation   running sums (separable), O(1) per cell
//   square min, max                                    van Herk / Gil-Werman (separable), O(1) per cell
//   other shapes                                       row spans: O(rows of the shape) per cell
//   median, mode                                       a sliding histogram (Huang), O(rows) per cell
// Sums are exact (integers, or the layer's values in fixed point: SumScale), so a cell's result depends
// only on its neighbourhood's values: never on where a tile starts, on the tile size or on the ranks.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/enum_names.hpp"
#include "core/neighbourhood.hpp"

namespace trellis::focal {

enum class FocalStat { Sum, Min, Max, Mean, Median, Mode, StandardDeviation, Variance };
inline constexpr EnumName<FocalStat> kFocalStats[] = {{FocalStat::Sum, "sum"},
                                                      {FocalStat::Min, "min"},
                                                      {FocalStat::Max, "max"},
                                                      {FocalStat::Mean, "mean"},
                                                      {FocalStat::Median, "median"},
                                                      {FocalStat::Mode, "mode"},
                                                      {FocalStat::StandardDeviation, "standard_deviation"},
                                                      {FocalStat::Variance, "variance"}};
inline std::span<const EnumName<FocalStat>> enum_names(FocalStat) {
  return kFocalStats;
}

// A window of cells: cols x rows doubles, row-major from the north-west corner. NaN is NoData; cells
// outside the layer are NaN too (the neighbourhood is truncated there because NaN is skipped).
struct Grid {
  const double* cells = nullptr;
  int cols = 0, rows = 0;
};

// What makes sums of non-integer values exact: every data value v of the layer, times 2^exp, is an
// integer X with |X| < 2^(126 - bit_width(cells)) for neighbourhoods of `cells` cells, so that over a
// neighbourhood S1 = sum X is below 2^126, and n S2 = n sum X^2 and S1^2 below 2^252: exact in 128- and
// 256-bit integers. Found over the whole layer (ScaleProbe, merged over the ranks), so every tile uses
// the same one.
struct SumScale {
  int exp = 0;
};

// Finds a SumScale: add() every data value of the layer, merge() the probes of threads and ranks
// (exact, commutative), then scale(). Has the accumulator interface of mpi/reduce.hpp.
class ScaleProbe {
 public:
  // Adds a value (NaN and infinities are ignored: they are NoData or propagate on their own).
  void add(double v);
  void merge(const ScaleProbe& o);
  // The scale that makes sums over neighbourhoods of up to `cells` cells exact, and with `squares` the
  // sums of squares too (Variance and StandardDeviation need them), or nullopt: then statistics()
  // computes each cell's sums from its neighbourhood alone (much slower). With 2^max_msb <= |v| <
  // 2^(max_msb + 1) for the largest magnitude and 2^min_lsb the least significant set bit of any value,
  // there is one when
  //   max_msb - min_lsb + 1 + bit_width(cells) <= 126,  and min_lsb >= -450,
  // and, with `squares`, cells < 2^32 (n^2 must fit 64 bits). E.g. for 31 x 31 cells, values up to 1026
  // with bits down to 2^-105 (any float32 value of at least 2^-82, about 2e-25). exp = max(0, -min_lsb), or
  // -min_lsb for integers whose trailing zero bits must be dropped. Deterministic.
  std::optional<SumScale> scale(std::int64_t cells, bool squares) const;

  void serialize(std::vector<std::byte>& out) const;
  static ScaleProbe deserialize(std::span<const std::byte> bytes);  // throws std::invalid_argument

 private:
  // Binary exponents of the least significant set bit of the values' significands (min) and of the
  // largest magnitude (max); empty while no finite non-zero value was added.
  int min_lsb_ = 1 << 20, max_msb_ = -(1 << 20);
};

// The statistic `stat` over `nb` for every cell of `in` at least r = nb.reach() cells from its border:
// out[(y - r) * (in.cols - 2r) + (x - r)] for r <= x < in.cols - r, r <= y < in.rows - r.
// - NoData (NaN) neighbours are skipped; with no data cell in the neighbourhood the result is NaN.
// - Sum, Mean: the exact sum of the data values, rounded once to double (Mean: then divided by the count).
//   Variance, StandardDeviation: the population ones (divide by n). With a scale: from the exact sums
//   S1 = sum x and S2 = sum x^2, (n S2 - S1^2) / n^2 computed exactly and rounded once (then sqrt), so a
//   flat neighbourhood gives exactly 0. Without one (scale nullopt): Sum and Mean from an ExactSum of the
//   neighbourhood, Variance by two passes over the neighbourhood in long double. Infinities propagate
//   into Sum and Mean as in an ExactSum (+inf and -inf together: NaN); Variance of a neighbourhood with
//   one is NaN.
// - Min, Max: exact (the sign of a zero result is not kept: 0).
// - Median, Mode: values are truncated toward zero to integers first (GeoTrellis reads them with get).
//   Median of an even count: (lower + upper) / 2 with integer (truncating) division. Mode: the unique
//   most frequent value; a tie for the highest count gives NaN.
// `scale` is the layer's SumScale for Sum, Mean, Variance and StandardDeviation of non-integer values
// (ScaleProbe::scale with squares for Variance and StandardDeviation; nullopt: the per-cell sums above,
// much slower); it is not read for the other statistics.
// Deterministic; not collective; thread-safe (no shared state). Throws std::invalid_argument when the
// window is smaller than 2r + 1 in either direction, r < 0, out has the wrong size, or `scale` does not
// make the data values integers small enough for exact sums (not the layer's ScaleProbe's scale), or is
// given for Variance or StandardDeviation over a neighbourhood of 2^32 cells or more.
void statistics(const Grid& in, const Neighbourhood& nb, FocalStat stat, std::optional<SumScale> scale,
                std::span<double> out);

// The same by brute force: every cell's neighbourhood from scratch (the reference of the tests). Sums
// use the scale of `in`'s own values (a ScaleProbe over in, for nb's cell count and stat), so it gives the
// bits of statistics() called with that scale.
void statistics_brute_force(const Grid& in, const Neighbourhood& nb, FocalStat stat, std::span<double> out);

}  // namespace trellis::focal
