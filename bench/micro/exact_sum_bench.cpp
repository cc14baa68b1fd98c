// What an exact (rank-count-independent) sum costs next to a plain double sum, per cell.
#include <benchmark/benchmark.h>

#include <random>

#include "core/cell_stats.hpp"
#include "core/exact_sum.hpp"

namespace {

std::vector<double> values(std::size_t n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> d(100, 50);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void BM_PlainSum(benchmark::State& state) {
  const auto v = values(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    double s = 0;
    for (double x : v) s += x;
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ExactSum(benchmark::State& state) {
  const auto v = values(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    trellis::ExactSum s;
    for (double x : v) s.add(x);
    benchmark::DoNotOptimize(s.value());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// A 256 x 256 float32 tile into an accumulator of min, max and mean.
void BM_CellAccumulatorTile(benchmark::State& state) {
  const auto v = values(256 * 256);
  trellis::Tile t(trellis::CellType::parse("float32"), 256, 256);
  for (int i = 0; i < 256 * 256; ++i) t.set(0, i % 256, i / 256, v[static_cast<std::size_t>(i)]);
  const trellis::CellStat stats[] = {trellis::CellStat::Min, trellis::CellStat::Max, trellis::CellStat::Mean};
  for (auto _ : state) {
    trellis::CellAccumulator acc(trellis::accumulators_for(stats));
    acc.add_tile(t, 0);
    benchmark::DoNotOptimize(acc.count());
  }
  state.SetItemsProcessed(state.iterations() * 256 * 256);
}

}  // namespace

BENCHMARK(BM_PlainSum)->Arg(1 << 20);
BENCHMARK(BM_ExactSum)->Arg(1 << 20);
BENCHMARK(BM_CellAccumulatorTile);
