#pragma once
// The histograms of a layer's band, for the ops that need one (get_histogram and its family,
// render_png's quantile breaks and percentile stretches). NoData cells and the padding of edge tiles are
// not counted.
#include "core/histogram.hpp"
#include "job/progress.hpp"
#include "layer/layer.hpp"

namespace trellis::ops {

// Collective. The exact integer counts of `band` (cells truncated toward zero, as GeoTrellis' get).
// Deterministic: the same on any rank count. Throws what mpi::reduce_tiles throws.
IntHistogram exact_histogram(const TiledLayer& l, int band, job::Progress& progress);

// Collective. GeoTrellis' StreamingHistogram of `band` with at most `buckets` buckets, built from 4096
// exact bins between the band's minimum and maximum (see histogram.cpp). Deterministic: the same on any
// rank count. Throws what mpi::reduce_tiles throws.
StreamingHistogram streaming_histogram(const TiledLayer& l, int band, int buckets, job::Progress& progress);

}  // namespace trellis::ops
