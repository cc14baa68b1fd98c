#include "mpi/exchange.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "core/parallel.hpp"
#include "mpi/collectives.hpp"
#include "mpi/comm.hpp"
#include "mpi/failure.hpp"
#include "mpi/runtime.hpp"
#include "mpi/serialize.hpp"
#include "mpi/stats.hpp"

namespace trellis::mpi {

namespace {

// MPI_Alltoallv of bytes with 64-bit counts and displacements. `max_total` (the largest send or receive
// total of any rank) and `max_pair` (the largest count between two ranks) are agreed by all ranks, so
// every rank makes the same number of passes. Guarded region.
void alltoallv_bytes(const std::vector<std::byte>& send, const std::vector<std::uint64_t>& scount,
                     const std::vector<std::size_t>& sdispl, std::vector<std::byte>& recv,
                     const std::vector<std::uint64_t>& rcount, const std::vector<std::size_t>& rdispl,
                     std::uint64_t max_total, std::uint64_t max_pair, MPI_Comm comm) {
  const int n = static_cast<int>(scount.size());
  const std::size_t limit = detail::message_limit();
  std::vector<int> sc(n), sd(n), rc(n), rd(n);
  if (max_total <= limit) {
    for (int i = 0; i < n; ++i) {
      sc[i] = static_cast<int>(scount[i]);
      sd[i] = static_cast<int>(sdispl[i]);
      rc[i] = static_cast<int>(rcount[i]);
      rd[i] = static_cast<int>(rdispl[i]);
    }
    MPI_Alltoallv(send.data(), sc.data(), sd.data(), MPI_BYTE, recv.data(), rc.data(), rd.data(), MPI_BYTE,
                  comm);
    return;
  }
  // Several passes: in pass p every pair moves bytes [p * chunk, (p + 1) * chunk) of its run, so one pass
  // moves at most n * chunk <= limit bytes from or to any rank.
  const std::size_t chunk = std::max<std::size_t>(1, limit / static_cast<std::size_t>(n));
  const std::size_t passes = (max_pair + chunk - 1) / chunk;
  std::vector<std::byte> sbuf(chunk * static_cast<std::size_t>(n)), rbuf(chunk * static_cast<std::size_t>(n));
  for (std::size_t p = 0; p < passes; ++p) {
    const std::size_t off = p * chunk;
    for (int i = 0; i < n; ++i) {
      sc[i] = scount[i] > off ? static_cast<int>(std::min<std::uint64_t>(chunk, scount[i] - off)) : 0;
      rc[i] = rcount[i] > off ? static_cast<int>(std::min<std::uint64_t>(chunk, rcount[i] - off)) : 0;
      sd[i] = rd[i] = static_cast<int>(chunk * static_cast<std::size_t>(i));
      if (sc[i])
        std::memcpy(sbuf.data() + sd[i], send.data() + sdispl[i] + off, static_cast<std::size_t>(sc[i]));
    }
    MPI_Alltoallv(sbuf.data(), sc.data(), sd.data(), MPI_BYTE, rbuf.data(), rc.data(), rd.data(), MPI_BYTE,
                  comm);
    for (int i = 0; i < n; ++i)
      if (rc[i])
        std::memcpy(recv.data() + rdispl[i] + off, rbuf.data() + rd[i], static_cast<std::size_t>(rc[i]));
  }
}

}  // namespace

std::size_t piece_bytes(const Piece& p) {
  return kKeyBytes + sizeof(std::uint64_t) + 2 * sizeof(std::int32_t) + tile_bytes(p.tile);
}

std::size_t exchange(const std::function<bool(std::vector<Outgoing>&)>& produce,
                     const std::function<void(Piece&&)>& consume) {
  const int n = Runtime::size();
  const int me = Runtime::rank();
  MPI_Comm comm = data_comm();
  std::size_t sent_total = 0;
  bool producing = true;
  std::vector<Outgoing> out;
  for (;;) {
    // 1. Produce and serialize (may throw: before the check-in).
    out.clear();
    bool more = false;
    if (producing) {
      more = produce(out);
      producing = more;
    }
    std::vector<std::uint64_t> scount(n, 0);
    std::uint64_t pieces_out = 0;
    for (const auto& o : out) {
      if (o.dest < 0 || o.dest >= n)
        throw std::out_of_range("exchange: destination rank " + std::to_string(o.dest) + " of " +
                                std::to_string(n));
      if (o.dest == me) continue;
      scount[o.dest] += piece_bytes(o.piece);
      ++pieces_out;
    }
    std::vector<std::size_t> sdispl(n + 1, 0);
    for (int i = 0; i < n; ++i) sdispl[i + 1] = sdispl[i] + scount[i];
    std::vector<std::byte> sendbuf(sdispl[n]);
    std::vector<Piece> self;
    {
      std::vector<std::size_t> cursor(sdispl.begin(), sdispl.end() - 1);
      for (auto& o : out) {
        if (o.dest == me) {
          self.push_back(std::move(o.piece));
          continue;
        }
        const std::size_t len = piece_bytes(o.piece);
        ByteWriter w(std::span<std::byte>(sendbuf.data() + cursor[o.dest], len));
        write_key(w, o.piece.key);
        w.put<std::uint64_t>(o.piece.order);
        w.put<std::int32_t>(o.piece.col_off);
        w.put<std::int32_t>(o.piece.row_off);
        write_tile(w, o.piece.tile);
        cursor[o.dest] += len;
      }
      out.clear();  // frees the tiles that were serialized
    }
    const std::uint64_t stotal = sdispl[n];
    const std::uint64_t smax = scount.empty() ? 0 : *std::max_element(scount.begin(), scount.end());

    // 2. Check in, then the MPI calls (nothing may throw until they complete).
    check_in();
    std::vector<std::uint64_t> rcount(n, 0);
    std::vector<std::size_t> rdispl(n + 1, 0);
    std::vector<std::byte> recvbuf;
    bool any_more = false;
    guarded("exchange", [&] {
      MPI_Alltoall(scount.data(), 1, MPI_UINT64_T, rcount.data(), 1, MPI_UINT64_T, comm);
      for (int i = 0; i < n; ++i) rdispl[i + 1] = rdispl[i] + rcount[i];
      std::uint64_t local[3] = {std::max<std::uint64_t>(stotal, rdispl[n]), smax, more ? 1u : 0u};
      std::uint64_t global[3] = {0, 0, 0};
      MPI_Allreduce(local, global, 3, MPI_UINT64_T, MPI_MAX, comm);
      any_more = global[2] != 0;
      recvbuf.resize(rdispl[n]);
      if (global[0] > 0)
        alltoallv_bytes(sendbuf, scount, sdispl, recvbuf, rcount, rdispl, global[0], global[1], comm);
    });
    sent_total += stotal;
    add_bytes_sent(stotal);
    add_tiles_moved(pieces_out);
    std::vector<std::byte>().swap(sendbuf);

    // 3. Consume in (source rank, send order) order (may throw: the MPI calls have completed).
    for (int s = 0; s < n; ++s) {
      if (s == me) {
        for (auto& p : self) consume(std::move(p));
        self.clear();
        continue;
      }
      ByteReader r(std::span<const std::byte>(recvbuf.data() + rdispl[s], rcount[s]));
      while (!r.at_end()) {
        Piece p;
        p.key = read_key(r);
        p.order = r.get<std::uint64_t>();
        p.col_off = r.get<std::int32_t>();
        p.row_off = r.get<std::int32_t>();
        p.tile = read_tile(r);
        consume(std::move(p));
      }
    }
    if (!any_more) break;
  }
  return sent_total;
}

void check_piece(const Piece& p, const CellType& ct, int bands, int cols, int rows) {
  const Tile& t = p.tile;
  if (t.cell_type() == ct && t.bands() == bands && p.col_off >= 0 && p.row_off >= 0 &&
      static_cast<long>(p.col_off) + t.cols() <= cols && static_cast<long>(p.row_off) + t.rows() <= rows)
    return;
  throw IoError("corrupt message: a piece of tile (" + std::to_string(p.key.col) + ", " +
                std::to_string(p.key.row) + ") of " + std::to_string(t.cols()) + "x" +
                std::to_string(t.rows()) + " " + t.cell_type().name() + " cells, " +
                std::to_string(t.bands()) + " band(s), at (" + std::to_string(p.col_off) + ", " +
                std::to_string(p.row_off) + ") does not fit a " + std::to_string(cols) + "x" +
                std::to_string(rows) + " " + ct.name() + " tile of " + std::to_string(bands) +
                " band(s) (did the ranks load different jobs?)");
}

std::size_t route_pieces(std::size_t n, const std::function<std::size_t(std::size_t)>& weight,
                         const std::function<void(std::size_t, std::vector<Piece>&)>& cut,
                         const Partitioner& owners, const std::function<void(Piece&&)>& consume,
                         std::size_t round_bytes, Schedule schedule) {
  std::size_t next = 0;
  auto produce = [&](std::vector<Outgoing>& outgoing) -> bool {
    std::size_t end = next, bytes = 0;
    while (end < n && (end == next || bytes < round_bytes)) bytes += weight(end++);
    std::vector<std::vector<Piece>> pieces(end - next);
    const auto body = [&](std::size_t i) { cut(next + i, pieces[i]); };
    if (schedule == Schedule::Static)
      parallel_for_static(end - next, body);
    else
      parallel_for(end - next, body);
    for (auto& v : pieces)
      for (auto& pc : v) {
        const int dest = owners.owner(pc.key);
        outgoing.push_back({dest, std::move(pc)});
      }
    next = end;
    return next < n;
  };
  return exchange(produce, consume);
}

}  // namespace trellis::mpi
