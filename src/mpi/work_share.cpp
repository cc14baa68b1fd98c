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

ShareCounts share_work(std::size_t n, double interval, std::int64_t max_ship, std::size_t chunk,
                       const SharedWork& w) {
  ShareCounts c;
  if (interval <= 0 || Runtime::size() == 1) {
    if (n > 0) w.own(0, n);
    c.own = n;
    return c;
  }
  chunk = std::max<std::size_t>(chunk, 1);
  auto stopped = [&] { return w.stop && w.stop(); };
  std::size_t front = 0, back = n;  // own items neither done nor shipped
  std::vector<Piece> foreign;       // shipped here, to do
  double busy = 0;                  // seconds spent doing items
  for (;;) {
    const double start = Runtime::wtime();
    while (Runtime::wtime() - start < interval && !stopped()) {
      const double t = Runtime::wtime();
      if (!foreign.empty()) {
        const std::size_t k = std::min(foreign.size(), chunk);
        w.foreign(std::span<Piece>(foreign.data(), k));
        foreign.erase(foreign.begin(), foreign.begin() + static_cast<std::ptrdiff_t>(k));
        c.foreign += k;
      } else if (front < back) {
        const std::size_t k = std::min(back - front, chunk);
        w.own(front, k);
        front += k;
        c.own += k;
      } else {
        break;
      }
      busy += Runtime::wtime() - t;
    }
    if (stopped()) {
      front = back;
      foreign.clear();
    }
    const double done = static_cast<double>(c.own + c.foreign);
    const ShareStatus mine{static_cast<std::int64_t>(back - front), static_cast<std::int64_t>(foreign.size()),
                           busy > 0 ? done / busy : 0.0};
    ++c.checkins;
    // Nothing is sent back (no results, no on_result): each item's result stays where it was made.
    const CheckIn in = share_check_in(
        mine, interval, max_ship,
        [&](const Shipment& sh, std::vector<Piece>& items) {
          for (std::int64_t i = 0; i < sh.count && front < back; ++i) {
            items.push_back(w.ship(--back));
            ++c.shipped;
          }
        },
        {}, [&](Piece&& p, int) { foreign.push_back(std::move(p)); }, [](Piece&&) {});
    if (in.left == 0) break;
  }
  return c;
}

}  // namespace trellis::mpi
