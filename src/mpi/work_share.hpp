#pragma once
// Work sharing between ranks whose shares of a step turn out uneven (their data, their node or their
// neighbours slow some down): at timed check-ins the ranks report how much work they have left and how
// fast they go, every rank derives the same shipments from the reports (plan_shipments, a pure
// function), and one exchange round carries the shipped work items and the results owed back.
// Reprojection uses it to share its warping.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "mpi/exchange.hpp"

namespace trellis::mpi {

// What a rank reports at a check-in.
struct ShareStatus {
  std::int64_t own = 0;      // items of its own not yet done nor shipped
  std::int64_t foreign = 0;  // items shipped to it, not yet done
  double rate = 0;           // items per second it has done so far (0: none yet)
};

// `count` of `from`'s own items go to `to`, which sends the results back.
struct Shipment {
  int from = 0, to = 0;
  std::int64_t count = 0;
  bool operator==(const Shipment&) const = default;
};

// Not collective, deterministic (a function of its arguments alone, so every rank plans the same
// shipments). Pairs the rank expected to finish last with the one expected to finish first, the second
// last with the second first, and so on, while the first of a pair runs out of work before the next
// check-in (`interval` seconds) and the other is expected to take more than two of its items longer
// (work moves only to ranks about to idle, so it does not go back and forth); each pair ships what evens
// out their expected times (at most `max_count` items, and only items of the sender's own). A rank that
// has done nothing yet is expected to go as fast as the fastest; with no rate known, nothing ships.
std::vector<Shipment> plan_shipments(const std::vector<ShareStatus>& status, double interval,
                                     std::int64_t max_count);

// The outcome of a check-in.
struct CheckIn {
  std::vector<Shipment> shipments;  // planned from the reports (the same on every rank)
  std::int64_t left = 0;            // items left on every rank together, at the check-in
};

// Collective: one check-in. The ranks' statuses are gathered, the shipments planned (plan_shipments),
// and one exchange round carries (a) for each shipment from this rank, the pieces `ship(shipment, out)`
// appends (the items' inputs, fewer than shipment.count when some need no work) and (b) the `results`
// this rank owes (pieces for the ranks whose items it did). Received items go to on_item(piece,
// from_rank), received results to on_result(piece). Throws what the callbacks throw, PeerFailure.
CheckIn share_check_in(const ShareStatus& mine, double interval, std::int64_t max_ship,
                       const std::function<void(const Shipment&, std::vector<Piece>&)>& ship,
                       std::vector<Outgoing> results, const std::function<void(Piece&&, int)>& on_item,
                       const std::function<void(Piece&&)>& on_result);

// What share_work does with a rank's items, whose results stay with the rank that makes them (a
// compressed block sent on from there, a file written from there).
struct SharedWork {
  // Does own items [first, first + count), with all the rank's threads.
  std::function<void(std::size_t first, std::size_t count)> own;
  // Own item i, as the piece another rank will do instead (taken from the end of the list).
  std::function<Piece(std::size_t i)> ship;
  // Does items other ranks shipped here, with all the rank's threads.
  std::function<void(std::span<Piece> items)> foreign;
  // Whether this rank stops early (a stop request): it does no more, and the others finish theirs.
  std::function<bool()> stop;
};

// What a rank did in share_work.
struct ShareCounts {
  std::size_t own = 0;      // own items it did
  std::size_t foreign = 0;  // items it did for other ranks
  std::size_t shipped = 0;  // own items other ranks did
  int checkins = 0;
};

// Collective. Does this rank's `n` own items, `chunk` at a time, and the items other ranks ship to it
// (those first: their owners wait for them), checking in every `interval` seconds (share_check_in, at
// most `max_ship` items a shipment) until no rank has any left. With `interval` <= 0 or one rank, the
// own items only, in one call of w.own. A rank checks in after the chunk that ends its interval, so a
// chunk should take well under `interval`: where one chunk takes longer on every rank, the ranks go in
// step, one chunk each per check-in, and nothing is shared. Which rank does an item depends on timing;
// what it does must not. Throws what the callbacks throw, PeerFailure.
ShareCounts share_work(std::size_t n, double interval, std::int64_t max_ship, std::size_t chunk,
                       const SharedWork& w);

}  // namespace trellis::mpi
