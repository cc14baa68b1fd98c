// reproject: a tiled layer to a new layout in another CRS (GeoPySpark's TiledRasterLayer.reproject),
// by buffered reprojection with GDAL's warp kernels.
//
// 1. Target grid (every rank, from metadata alone): `scheme: float` takes the extent and cell size
//    GDAL's GDALSuggestedWarpOutput2 gives for the layer's data window (what gdalwarp picks), then
//    FloatingLayoutScheme(tile_size); `scheme: zoom` takes ZoomedLayoutScheme(target_crs, tile_size,
//    resolution_threshold).level_for(that extent, that cell size), or `zoom`; `extent` + `layout` are
//    explicit. A geographic layer going to a Mercator CRS is clipped at the Mercator latitude limit;
//    a layer whose footprint crosses the antimeridian of a geographic or WebMercator target gets a
//    continuous extent (GDAL's suggestion in a CRS centred on the footprint).
// 2. Keys: each rank reprojects the footprint of each tile it owns (densified boundary and interior
//    points); the result's keys are the target keys those footprints intersect (across the antimeridian
//    too). Bounds and extent come from a reduction; the keys are balanced over the ranks and sent to
//    their owners.
// 3. Buffered reprojection: for each key it owns, a rank maps the key's extent back to the source CRS
//    (densified), buffers it by the kernel's reach (scaled when downsampling) and lists the source tiles
//    it touches. Keys are processed in batches (about round_mb MiB of remote source tiles each); the
//    owners of those source tiles send them, once per batch and requesting rank, in one exchange round
//    per batch. The source tiles a key needs are mosaicked (clipped to the layer's data window, as the
//    stitched layer would be) and warped with io::warp (GDAL's kernel, as gdalwarp; bilinear upsampling
//    through a separable transformation by separable.hpp, the same formula written out), so there are
//    no seams at tile edges and each key sees the same mosaic whatever the rank count.
#include "ops/reproject/reprojector.hpp"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <span>

#include "core/parallel.hpp"
#include "mpi/collectives.hpp"
#include "mpi/exchange.hpp"
#include "mpi/fetch.hpp"
#include "mpi/partition.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"
#include "mpi/work_share.hpp"
#include "ops/reproject/geometry.hpp"
#include "ops/reproject/reprojector_parts.hpp"

namespace trellis::ops {

namespace reproject_detail {

void Reprojector::share_warp(const std::vector<DestPlan>& plans, std::size_t b0, std::size_t b1,
                             const std::map<SpaceTimeKey, Tile>& received, TiledLayer& out, double interval,
                             std::int64_t max_ship, const std::function<void(std::size_t)>& warped,
                             job::Progress* progress, WarpStats& stats) const {
  const std::size_t threads = fwd_.size();
  std::size_t front = b0, back = b1;  // own plans not yet warped nor shipped
  struct Foreign {
    SpaceTimeKey key;
    int owner;
    Tile mosaic;
  };
  std::vector<Foreign> foreign;        // shipped to this rank, to warp
  std::vector<mpi::Outgoing> results;  // warped for other ranks, to send back
  auto advance = [&](std::size_t n) {
    if (progress) progress->advance(n);
  };
  auto warp_own = [&](std::size_t n) {
    const double t = mpi::Runtime::wtime();
    std::vector<Tile> tiles(n);
    parallel_for(n, [&](std::size_t i) { tiles[i] = warp_dest(plans[front + i], received); });
    for (std::size_t i = 0; i < n; ++i) out.tiles.emplace(plans[front + i].key, std::move(tiles[i]));
    front += n;
    stats.warped += n;
    stats.warp_seconds += mpi::Runtime::wtime() - t;
    advance(n);
    warped(front);
  };
  auto warp_foreign = [&](std::size_t n) {
    const double t = mpi::Runtime::wtime();
    std::vector<Tile> tiles(n);
    parallel_for(
        n, [&](std::size_t i) { tiles[i] = warp_mosaic(plan_dest(foreign[i].key), foreign[i].mosaic); });
    for (std::size_t i = 0; i < n; ++i) {
      mpi::Piece pc;
      pc.key = foreign[i].key;
      pc.tile = std::move(tiles[i]);
      results.push_back({foreign[i].owner, std::move(pc)});
    }
    foreign.erase(foreign.begin(), foreign.begin() + static_cast<std::ptrdiff_t>(n));
    stats.warped += n;
    stats.warp_seconds += mpi::Runtime::wtime() - t;
  };
  if (interval <= 0 || mpi::Runtime::size() == 1) {
    const std::size_t chunk = 32 * threads;
    while (front < back) warp_own(std::min(back - front, chunk));
    return;
  }
  for (;;) {
    // A slice of work: shipped mosaics first (their owners wait for them), then the batch.
    const double start = mpi::Runtime::wtime();
    while (mpi::Runtime::wtime() - start < interval) {
      if (!foreign.empty())
        warp_foreign(std::min(foreign.size(), threads));
      else if (front < back)
        warp_own(std::min(back - front, threads));
      else
        break;
    }
    // The check-in: the shipped mosaics go to the ranks about to idle, the tiles warped for other ranks
    // go back to their owners.
    const double checkin = mpi::Runtime::wtime();
    const mpi::ShareStatus mine{
        static_cast<std::int64_t>(back - front), static_cast<std::int64_t>(foreign.size()),
        stats.warp_seconds > 0 ? static_cast<double>(stats.warped) / stats.warp_seconds : 0.0};
    ++stats.checkins;
    const mpi::CheckIn c = mpi::share_check_in(
        mine, interval, max_ship,
        [&](const mpi::Shipment& sh, std::vector<mpi::Piece>& items) {
          for (std::int64_t i = 0; i < sh.count; ++i) {
            const DestPlan& plan = plans[--back];
            std::optional<Tile> mosaic = mosaic_for(plan, received);
            if (!mosaic) {  // a blank tile: nothing to warp
              out.tiles.emplace(plan.key, blank_tile());
              advance(1);
              continue;
            }
            mpi::Piece pc;
            pc.key = plan.key;
            pc.tile = std::move(*mosaic);
            items.push_back(std::move(pc));
            ++stats.shipped;
          }
        },
        std::move(results),
        [&](mpi::Piece&& pc, int owner) {
          foreign.push_back({pc.key, owner, std::move(pc.tile)});
          ++stats.foreign;
        },
        [&](mpi::Piece&& pc) {
          out.tiles.emplace(pc.key, std::move(pc.tile));
          advance(1);
        });
    results.clear();
    stats.checkin_seconds += mpi::Runtime::wtime() - checkin;
    // With nothing left anywhere, no shipment was made and this round delivered the last results.
    if (c.left == 0) break;
  }
}

TiledLayer Reprojector::run(IndexKind index, std::size_t round_bytes, double share_seconds,
                            job::Progress* progress, const job::Logger* log) {
  const int me = mpi::Runtime::rank();
  const double t0 = mpi::Runtime::wtime();

  // 1. The target keys the footprints of this rank's tiles touch.
  std::vector<SpaceTimeKey> src_keys;
  src_keys.reserve(in_.tiles.size());
  for (const auto& [k, _] : in_.tiles) src_keys.push_back(k);
  const int nthreads = static_cast<int>(fwd_.size());
  std::vector<std::vector<SpaceTimeKey>> thread_keys(nthreads);
  std::vector<FootprintAcc> thread_acc(nthreads);
  parallel_for(src_keys.size(), [&](std::size_t i) {
    std::size_t t = static_cast<std::size_t>(omp_get_thread_num()) % thread_keys.size();
    footprint_keys(src_keys[i], thread_keys[t], thread_acc[t]);
  });
  std::vector<SpaceTimeKey> local_keys;
  FootprintAcc acc;
  for (int t = 0; t < nthreads; ++t) {
    local_keys.insert(local_keys.end(), thread_keys[t].begin(), thread_keys[t].end());
    acc.merge(thread_acc[t]);
  }
  thread_keys.clear();
  std::sort(local_keys.begin(), local_keys.end());
  local_keys.erase(std::unique(local_keys.begin(), local_keys.end()), local_keys.end());

  // 2. Bounds and extent over all ranks (the same on every rank, so an error here is everyone's).
  const FootprintAcc all = mpi::allreduce(acc);
  if (all.keys == 0)
    throw JobError("the layer does not intersect the target layout (target CRS " + md_.crs.label() +
                   ", layout extent " + md_.layout.extent.to_string() + ")");
  TiledLayer out;
  out.md = md_;
  out.md.bounds =
      KeyBounds{{static_cast<std::int32_t>(all.cmin), static_cast<std::int32_t>(all.rmin), all.tmin},
                {static_cast<std::int32_t>(all.cmax), static_cast<std::int32_t>(all.rmax), all.tmax}};
  if (from_footprint_)
    out.md.extent = Extent{all.xmin, all.ymin, all.xmax, all.ymax}.intersection(md_.layout.extent);
  out_window_ = data_window(out.md);
  make_grid_transforms();
  out.partitioner = mpi::balance(local_keys, index, out.md.bounds);

  // 3. The keys go to their owners.
  const std::set<SpaceTimeKey> owned = mpi::gather_owned_keys(local_keys, out.partitioner, round_bytes);
  std::vector<SpaceTimeKey>().swap(local_keys);

  // 4. What each owned key needs, in curve order (those needing no remote tile first), cut into batches
  //    of about round_bytes of remote tiles.
  std::vector<DestPlan> plans(owned.size());
  {
    std::vector<SpaceTimeKey> ks(owned.begin(), owned.end());
    parallel_for(ks.size(), [&](std::size_t i) {
      plans[i] = plan_dest(ks[i]);
      plans[i].pos = out.partitioner.position(ks[i]);
    });
  }
  std::sort(plans.begin(), plans.end(), [](const DestPlan& a, const DestPlan& b) {
    return a.pos != b.pos ? a.pos < b.pos : a.key < b.key;
  });
  // The plans that need no remote tile first (they all go in the first batch): every rank's first batch
  // then holds most of its work, wherever its remote tiles lie on the curve, and the batches the ranks
  // warp between two rounds are about even.
  std::stable_partition(plans.begin(), plans.end(), [&](const DestPlan& d) {
    return std::none_of(d.placements.begin(), d.placements.end(),
                        [&](const Placement& pl) { return in_.partitioner.owner(pl.key) != me; });
  });
  const std::size_t src_tile_bytes =
      static_cast<std::size_t>(stc_) * str_ * in_.md.bands * in_.md.cell_type.bytes();
  std::vector<std::size_t> batch_start;           // plans[batch_start[b] .. batch_start[b+1])
  std::vector<std::vector<SpaceTimeKey>> wanted;  // remote source keys of each batch
  {
    std::set<SpaceTimeKey> cur;
    for (std::size_t i = 0; i < plans.size(); ++i) {
      std::vector<SpaceTimeKey> remote;
      for (const auto& pl : plans[i].placements)
        if (in_.partitioner.owner(pl.key) != me && !cur.count(pl.key)) remote.push_back(pl.key);
      std::sort(remote.begin(), remote.end());
      remote.erase(std::unique(remote.begin(), remote.end()), remote.end());
      if (batch_start.empty() ||
          (!cur.empty() && (cur.size() + remote.size()) * src_tile_bytes > round_bytes)) {
        if (!batch_start.empty()) wanted.emplace_back(cur.begin(), cur.end());
        batch_start.push_back(i);
        cur.clear();
        remote.clear();
        for (const auto& pl : plans[i].placements)
          if (in_.partitioner.owner(pl.key) != me) remote.push_back(pl.key);
      }
      cur.insert(remote.begin(), remote.end());
    }
    if (!batch_start.empty()) wanted.emplace_back(cur.begin(), cur.end());
    batch_start.push_back(plans.size());
  }
  const std::size_t nbatches = wanted.size();

  // 5. Requests to the owners of the source tiles (the rounds themselves are phase 6).
  mpi::TileFetch fetch(
      in_.partitioner, wanted, [&](const SpaceTimeKey& k) { return in_.tiles.count(k) > 0; }, round_bytes);
  const auto& requests = fetch.requests();  // per batch: (source key, rank)

  // A consumable input's tiles are freed once no destination tile needs them and they are sent:
  // release[i + 1] holds the tiles free after plans [0, i] are warped (batch b's round was sent before
  // its first plan is warped; a round past this rank's batches, at the end), release[0] the unused ones.
  std::vector<std::vector<SpaceTimeKey>> release;
  if (consumable_) {
    std::map<SpaceTimeKey, std::size_t> last;  // 1 + that plan index
    for (const auto& [k, _] : in_.tiles) last[k] = 0;
    auto use = [&](const SpaceTimeKey& k, std::size_t i) {
      if (auto it = last.find(k); it != last.end()) it->second = std::max(it->second, i + 1);
    };
    for (std::size_t i = 0; i < plans.size(); ++i)
      for (const auto& pl : plans[i].placements) use(pl.key, i);
    for (std::size_t b = 0; b < requests.size(); ++b)
      for (const auto& [k, rank] : requests[b]) use(k, b < nbatches ? batch_start[b] : plans.size());
    release.resize(plans.size() + 2);
    for (const auto& [k, i] : last) release[i].push_back(k);
  }
  std::size_t released = 0;
  const std::size_t input_tiles = in_.tiles.size();
  std::size_t freed_early = 0;  // source tiles freed while this rank still had plans to warp
  auto release_until = [&](std::size_t warped) {  // plans [0, warped) are warped
    for (; released < release.size() && released <= warped; ++released) {
      for (const auto& k : release[released]) consumable_->tiles.erase(k);
      if (warped < plans.size()) freed_early += release[released].size();
      std::vector<SpaceTimeKey>().swap(release[released]);
    }
  };
  release_until(0);

  // 6. Batch by batch, every rank taking part in as many rounds as the rank with the most batches: one
  //    exchange round brings each rank the remote source tiles of its batch, then the ranks warp their
  //    batches, sharing the work (share_warp).
  if (progress) progress->begin(plans.size(), "tiles");
  const std::size_t rounds = fetch.rounds();
  const std::int64_t max_ship =
      static_cast<std::int64_t>(std::max<std::size_t>(1, round_bytes / src_tile_bytes));
  WarpStats stats;
  const double t6 = mpi::Runtime::wtime();
  std::map<SpaceTimeKey, Tile> received;
  for (std::size_t b = 0; b < rounds; ++b) {
    const double round_start = mpi::Runtime::wtime();
    received = fetch.round(b, in_.tiles);
    stats.round_seconds += mpi::Runtime::wtime() - round_start;
    const std::size_t b0 = b < nbatches ? batch_start[b] : plans.size();
    const std::size_t b1 = b < nbatches ? batch_start[b + 1] : plans.size();
    share_warp(plans, b0, b1, received, out, share_seconds, max_ship, release_until, progress, stats);
    received.clear();
    release_until(b1);
  }
  release_until(release.size());
  if (log) {
    const std::string input_use = consumable_ ? "freed " + std::to_string(freed_early) + " of " +
                                                    std::to_string(input_tiles) +
                                                    " source tile(s) before the last warp"
                                              : "source tiles kept for a later step";
    char line[512];
    std::snprintf(line, sizeof line,
                  "reproject: %zu tile(s) in %zu batch(es): planned in %.2f s; warped %zu tile(s) in %.2f s "
                  "(%zu for other ranks), shipped %zu to other ranks; %.2f s in %zu round(s), %.2f s in %zu "
                  "check-in(s), %.2f s in all; %zu by the written-out bilinear; %s; %s",
                  plans.size(), nbatches, t6 - t0, stats.warped, stats.warp_seconds, stats.foreign,
                  stats.shipped, stats.round_seconds, rounds, stats.checkin_seconds, stats.checkins,
                  mpi::Runtime::wtime() - t6, native_.load(), input_use.c_str(),
                  grid_tr_.empty() ? "a GDAL transformer per tile" : "one GDAL transformer per thread");
    log->debug_all(line);
  }
  return out;
}

}  // namespace reproject_detail

TiledLayer reproject_layer(const TiledLayer& in, const ReprojectTarget& target, io::ResampleMethod method,
                           IndexKind index, std::size_t round_bytes, double share_seconds,
                           TiledLayer* consumable, job::Progress* progress, const job::Logger* log) {
  reproject_detail::Reprojector rp(in, target, method, consumable);
  return rp.run(index, round_bytes, share_seconds, progress, log);
}

}  // namespace trellis::ops
