#include "mpi/work_share.hpp"

#include <algorithm>
#include <numeric>

#include "mpi/collectives.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

std::vector<Shipment> plan_shipments(const std::vector<ShareStatus>& st, double interval,
                                     std::int64_t max_count) {
  const int n = static_cast<int>(st.size());
  double known = 0;
  for (const auto& s : st) known = std::max(known, s.rate);
  if (known <= 0) return {};  // nobody has warped a tile yet: no speeds to go by
  std::vector<double> rate(n), left(n), finish(n);
  for (int i = 0; i < n; ++i) {
    rate[i] = st[i].rate > 0 ? st[i].rate : known;
    left[i] = static_cast<double>(st[i].own + st[i].foreign);
    finish[i] = left[i] / rate[i];
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return finish[a] > finish[b]; });
  std::vector<Shipment> out;
  for (int a = 0, b = n - 1; a < b; ++a, --b) {
    const int v = order[a], t = order[b];
    if (finish[t] > interval || finish[v] - finish[t] <= 2 / rate[v]) break;
    const double even = (left[v] * rate[t] - left[t] * rate[v]) / (rate[v] + rate[t]);
    const std::int64_t count = std::min({static_cast<std::int64_t>(even), st[v].own, max_count});
    if (count >= 1) out.push_back({v, t, count});
  }
  return out;
}

CheckIn share_check_in(const ShareStatus& mine, double interval, std::int64_t max_ship,
                       const std::function<void(const Shipment&, std::vector<Piece>&)>& ship,
                       std::vector<Outgoing> results, const std::function<void(Piece&&, int)>& on_item,
                       const std::function<void(Piece&&)>& on_result) {
  const int me = Runtime::rank();
  const std::vector<ShareStatus> all = allgatherv_values(std::vector<ShareStatus>{mine});
  CheckIn c;
  for (const auto& st : all) c.left += st.own + st.foreign;
  c.shipments = plan_shipments(all, interval, max_ship);
  // Results travel with order 0, shipped items with order 1 + the sending rank.
  exchange(
      [&](std::vector<Outgoing>& o) {
        for (auto& r : results) {
          r.piece.order = 0;
          o.push_back(std::move(r));
        }
        results.clear();
        for (const auto& sh : c.shipments) {
          if (sh.from != me) continue;
          std::vector<Piece> items;
          ship(sh, items);
          for (auto& p : items) {
            p.order = 1 + static_cast<std::uint64_t>(me);
            o.push_back({sh.to, std::move(p)});
          }
        }
        return false;
      },
      [&](Piece&& p) {
        if (p.order == 0) {
          on_result(std::move(p));
        } else {
          const int from = static_cast<int>(p.order - 1);
          on_item(std::move(p), from);
        }
      });
  return c;
}

}  // namespace trellis::mpi
