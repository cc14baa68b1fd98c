#pragma once
// Reading a geometry parameter's features for an op (rasterize, mask, polygonal summaries): every
// source in order, reprojected to the target CRS, with io's errors turned into errors at the
// parameter's place in the job.
#include <string>
#include <vector>

#include "io/vector.hpp"
#include "job/types/geometry.hpp"

namespace trellis::ops {

// The features of all sources of `g`, in order. Geometries whose source names no CRS are in `fallback`.
// Not collective (every rank reads them); deterministic. Throws JobError at the source's place (a wrong
// source, a geometry that cannot be reprojected) and IoError when a source cannot be read.
template <bool Polygons>
std::vector<io::Feature> read_geometry(const job::GeometryParam<Polygons>& g, const Crs& fallback,
                                       const Crs& target) {
  std::vector<io::Feature> all;
  for (const auto& s : g.sources) {
    std::vector<io::Feature> fs;
    try {
      fs = io::read_features(s.src, fallback, target);
    } catch (const io::GeometryError& e) {
      throw g.error(s, e.field(), e.what());
    } catch (const IoError& e) {
      throw IoError(std::string("geometry: ") + e.what());
    } catch (const JobError& e) {
      throw g.error(s, "", e.what());
    }
    if constexpr (Polygons) {
      for (std::size_t i = 0; i < fs.size(); ++i)
        if (!fs[i].type.empty() && !fs[i].polygonal)
          throw g.error(s, "",
                        "feature " + std::to_string(all.size() + i) + " is a " + fs[i].type +
                            "; this parameter takes Polygons or MultiPolygons");
    }
    for (auto& f : fs) all.push_back(std::move(f));
  }
  return all;
}

}  // namespace trellis::ops
