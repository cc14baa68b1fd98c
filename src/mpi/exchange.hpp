#pragma once
// The all-to-all tile exchange (retiling, reprojection, pyramids, catalog reads) in bounded rounds.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/key.hpp"
#include "core/tile.hpp"
#include "layer/partitioner.hpp"

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

// Checks a received piece before it is placed: the cell type, the bands, and the rectangle inside a
// cols x rows tile. Throws IoError ("corrupt message: ...") otherwise: data from a rank that loaded a
// different job, say, must not write past a buffer. Not collective.
void check_piece(const Piece& p, const CellType& ct, int bands, int cols, int rows);

// How the items of a round are spread over a rank's threads.
enum class Schedule {
  Dynamic,  // one item at a time (items differ in cost)
  Static,   // contiguous runs of items per thread (items that share what a thread caches)
};

// Collective: retiling in bounded rounds. Cuts this rank's `n` items into pieces and routes each piece
// to owners.owner(piece.key): every round takes the next items worth about round_bytes (weight(i); at
// least one item), cuts them in parallel on the rank's threads (cut(i, out) appends item i's pieces),
// and sends the pieces in item order; consume gets the pieces sent to this rank, in exchange()'s order.
// Deterministic given deterministic pieces. Returns the bytes this rank sent. Throws what cut and
// consume throw, PeerFailure.
std::size_t route_pieces(std::size_t n, const std::function<std::size_t(std::size_t)>& weight,
                         const std::function<void(std::size_t, std::vector<Piece>&)>& cut,
                         const Partitioner& owners, const std::function<void(Piece&&)>& consume,
                         std::size_t round_bytes = kDefaultRoundBytes, Schedule schedule = Schedule::Dynamic);

}  // namespace trellis::mpi
