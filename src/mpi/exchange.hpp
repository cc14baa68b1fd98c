#pragma once
// The all-to-all tile exchange (retiling, reprojection, pyramids, catalog reads) in bounded rounds.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/key.hpp"
#include "core/tile.hpp"

namespace trellis::mpi {

// A default per-round budget for producers (bytes of pieces a rank sends in one round).
inline constexpr std::size_t kDefaultRoundBytes = std::size_t{64} << 20;

struct Piece {
  SpaceTimeKey key;
  std::uint64_t order = 0;  // a global, rank-count-independent merge order chosen by the caller
  // Where `tile` sits inside the destination tile: a piece may be a sub-rectangle (col_off, row_off,
  // tile.cols() x tile.rows()) so partial coverage is not sent as a full tile of NoData.
  std::int32_t col_off = 0, row_off = 0;
  Tile tile;
};

struct Outgoing {
  int dest = 0;
  Piece piece;
};

// Collective. Each round every rank calls produce(out) (until it has returned false once; after that
// the rank takes part with nothing to send): it appends the pieces to send this round (about a round
// budget of them) and returns true while it has more to produce. The pieces are serialized and
// exchanged with MPI_Alltoallv (counts first with MPI_Alltoall; several passes when a round exceeds
// 2 GiB); pieces for this rank are moved, not sent. consume(piece) is called on the receiving rank in
// (source rank, send order) order. Rounds continue until no rank has more. Returns the bytes this rank
// sent to other ranks (also added to stats()).
// produce and consume may throw (see failure.hpp): produce runs before the round's check-in, consume
// after its MPI calls have completed. A destination outside [0, size) throws std::out_of_range.
std::size_t exchange(const std::function<bool(std::vector<Outgoing>&)>& produce,
                     const std::function<void(Piece&&)>& consume);

// Encoded size of a piece (key, order, tile).
std::size_t piece_bytes(const Piece& p);

}  // namespace trellis::mpi
