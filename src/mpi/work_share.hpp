#pragma once
// Work sharing between ranks whose shares of a step turn out uneven (their data, their node or their
// neighbours slow some down): at timed check-ins the ranks report how much work they have left and how
// fast they go, every rank derives the same shipments from the reports (plan_shipments, a pure
// function), and one exchange round carries the shipped work items and the results owed back.
// Reprojection uses it to share its warping.
#include <cstdint>
#include <functional>
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

}  // namespace trellis::mpi
