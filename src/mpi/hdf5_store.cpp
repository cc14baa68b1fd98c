#include "mpi/hdf5_store.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <tuple>
#include <type_traits>

#include "core/error.hpp"
#include "mpi/collectives.hpp"
#include "mpi/comm.hpp"
#include "mpi/failure.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi::hdf5 {

static_assert(std::is_same_v<hid_t, std::int64_t>, "Writer keeps a hid_t as std::int64_t");

namespace {

// An HDF5 handle closed by its destructor.
struct H {
  hid_t id = -1;
  herr_t (*close)(hid_t) = nullptr;
  H(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  H(H&& o) noexcept : id(std::exchange(o.id, -1)), close(o.close) {}  // (no copies)
  ~H() {
    if (id >= 0) close(id);
  }
  operator hid_t() const { return id; }
  bool ok() const { return id >= 0; }
};

// The innermost message of HDF5's error stack (if any), on one line; clears the stack.
std::string h5_detail() {
  std::string out;
  auto innermost = [](unsigned n, const H5E_error2_t* e, void* d) -> herr_t {
    if (n == 0 && e->desc) *static_cast<std::string*>(d) = e->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &out);
  H5Eclear2(H5E_DEFAULT);
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

hid_t native_type(CellKind k) {  // in CellKind's order: Bool, Int8, UInt8, Int16, UInt16, Int32, F32, F64
  const hid_t types[] = {H5T_NATIVE_UINT8,  H5T_NATIVE_INT8,  H5T_NATIVE_UINT8, H5T_NATIVE_INT16,
                         H5T_NATIVE_UINT16, H5T_NATIVE_INT32, H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE};
  return types[static_cast<int>(k)];
}

std::string group_path(const LayerSpec& s) {
  return "/" + s.name + "/" + std::to_string(s.zoom);
}

std::array<hsize_t, 5> dims_of(const LayerSpec& s) {
  return {static_cast<hsize_t>(s.layout_rows), static_cast<hsize_t>(s.layout_cols),
          static_cast<hsize_t>(s.bands), static_cast<hsize_t>(s.tile_rows),
          static_cast<hsize_t>(s.tile_cols)};
}

const char* const kSizeNames[7] = {"bands",       "tile_cols", "tile_rows", "layout_cols",
                                   "layout_rows", "col0",      "row0"};

bool row_major_less(const SpaceTimeKey& a, const SpaceTimeKey& b) {
  return a.row != b.row ? a.row < b.row : a.col < b.col;
}

void check_spec(const LayerSpec& s) {
  if (s.name.empty() || s.name.find('/') != std::string::npos || s.name == "." || s.name == ".." ||
      s.zoom < 0 || s.bands < 1 || s.tile_cols < 1 || s.tile_rows < 1 || s.layout_cols < 1 ||
      s.layout_rows < 1 || s.layout_cols > INT32_MAX || s.layout_rows > INT32_MAX || s.col0 < 0 ||
      s.row0 < 0 || s.col0 + s.layout_cols > INT32_MAX || s.row0 + s.layout_rows > INT32_MAX ||
      s.deflate_level < 0 || s.deflate_level > 9 || s.metadata_json.find('\0') != std::string::npos)
    throw std::invalid_argument("hdf5 layer '" + s.name +
                                "': bad name, zoom, size, deflate level, or a NUL byte in the metadata");
}

// The Writer's collective steps: after each, the ranks agree (allreduce) whether all succeeded, so that a
// failure on one rank stops every rank at the same step. No throw: the first failure is kept in `error`.
struct Steps {
  std::string where, error;
  bool agree(bool ok, const char* step) {  // false when some rank failed
    if (!error.empty()) return false;
    int mine = ok ? Runtime::size() : Runtime::rank(), lowest = 0;
    if (!ok) error = where + ": " + step + " failed: " + h5_detail();
    MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, data_comm());
    if (lowest < Runtime::size() && ok)
      error = where + ": " + step + " failed on rank " + std::to_string(lowest);
    return lowest == Runtime::size();
  }
};

// Checks in, then runs the collective steps f(st) (which must not throw); throws IoError on every rank
// alike when a step failed on any rank.
template <class F>
void run_collective(const std::string& where, F&& f) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions, not printouts
  Steps st{where, ""};
  check_in();
  guarded("hdf5", [&] { f(st); });
  if (!st.error.empty()) throw IoError(st.error);
}

// A scalar attribute: variable-length UTF-8 `text` or, when text is null, the int64 `value`.
bool write_attr(hid_t loc, const char* name, const char* text, std::int64_t value = 0) {
  H type(H5Tcopy(text ? H5T_C_S1 : H5T_STD_I64LE), H5Tclose);
  if (text && (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0)) return false;
  H space(H5Screate(H5S_SCALAR), H5Sclose);
  H attr(H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  return H5Awrite(attr, text ? type : H5T_NATIVE_INT64, text ? static_cast<const void*>(&text) : &value) >= 0;
}

// Starts the kernel's write-back of the file's dirty pages every kWritebackBytes this rank writes, without
// waiting for it: the disk then works while the rank writes on, and the fsync of close() has little left
// to flush. Without it every page waits in the page cache for the final fsync, and the write takes the
// time to fill the cache plus the time to drain it. Linux only (sync_file_range); elsewhere a no-op.
// 16 MiB: the uncompressed write step of bench/catalog.sh's job (f) took 0.81-0.90 s with 4, 16 or
// 64 MiB, and 0.93-1.11 s without (quick runs, 2 ranks).
constexpr std::size_t kWritebackBytes = std::size_t{16} << 20;
class Writeback {
 public:
  explicit Writeback(const std::string& path) {
#ifdef __linux__
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
#else
    (void)path;
#endif
  }
  ~Writeback() {
    if (fd_ >= 0) ::close(fd_);
  }
  Writeback(const Writeback&) = delete;
  Writeback& operator=(const Writeback&) = delete;
  // A hint: failures are ignored (close()'s fsync reports what matters).
  void wrote(std::size_t bytes) {
    pending_ += bytes;
    if (pending_ < kWritebackBytes) return;
    pending_ = 0;
#ifdef __linux__
    if (fd_ >= 0) (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
  }

 private:
  int fd_ = -1;
  std::size_t pending_ = 0;
};

using Mine = std::vector<std::pair<SpaceTimeKey, const Tile*>>;  // sorted by (row, col)
using Keys = std::vector<std::array<std::int32_t, 2>>;           // (col, row), sorted by (row, col)

// The collective part of write_layer (no throw).
void write_collective(Steps& st, hid_t file, const std::string& path, const LayerSpec& s, const Mine& mine,
                      const Keys& keys, std::size_t per_round, std::size_t rounds,
                      std::vector<std::byte>& buf) {
  H lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);  // (HDF5 calls fail on an invalid handle)
  H5Pset_create_intermediate_group(lcpl, 1);
  H group(H5Gcreate2(file, group_path(s).c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!st.agree(group.ok(), "creating the group")) return;
  const auto dims = dims_of(s);
  const hsize_t chunk[5] = {1, 1, dims[2], dims[3], dims[4]};
  const hid_t mtype = native_type(s.cell_type.kind);
  H fspace(H5Screate_simple(5, dims.data(), nullptr), H5Sclose);
  H dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  // Parallel HDF5 allocates every chunk when the dataset is created, and writes the fill value (NoData)
  // into each: uncompressed, the whole dataset once more than the tiles. A dense layer writes every
  // chunk itself, so only a layer with missing tiles needs the fill. (Compressed fill chunks are small.)
  const bool dense = keys.size() == static_cast<std::size_t>(dims[0] * dims[1]) && s.deflate_level == 0;
  bool ok = H5Pset_chunk(dcpl, 5, chunk) >= 0 && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_INCR) >= 0 &&
            H5Pset_fill_time(dcpl, dense ? H5D_FILL_TIME_NEVER : H5D_FILL_TIME_IFSET) >= 0;
  if (ok && s.deflate_level > 0) ok = H5Pset_deflate(dcpl, static_cast<unsigned>(s.deflate_level)) >= 0;
  if (ok)
    dispatch_kind(s.cell_type.kind, [&](auto t) {
      const auto fill = narrow_from_double<decltype(t)>(std::nan(""), s.cell_type);  // NoData, 0 if raw
      ok = H5Pset_fill_value(dcpl, mtype, &fill) >= 0;
    });
  H dset(ok ? H5Dcreate2(group, "tiles", mtype, fspace, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1, H5Dclose);
  if (!st.agree(dset.ok(), "creating the tiles dataset")) return;
  ok = write_attr(group, "metadata", s.metadata_json.c_str()) &&
       write_attr(group, "cell_type", s.cell_type.name().c_str());
  const std::int64_t sizes[7] = {s.bands,       s.tile_cols, s.tile_rows, s.layout_cols,
                                 s.layout_rows, s.col0,      s.row0};
  for (int i = 0; i < 7; ++i) ok = ok && write_attr(group, kSizeNames[i], nullptr, sizes[i]);
  if (!st.agree(ok, "writing the attributes")) return;
  // Per round: the file selection is the union of this rank's chunks; `buf` holds the tiles in (row, col)
  // order, the order in which HDF5 walks a selection (row-major over the dataset's dimensions).
  H dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  if (!st.agree(dxpl.ok() && H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) >= 0, "dxpl")) return;
  const hsize_t cells = dims[2] * dims[3] * dims[4];
  Writeback writeback(path);
  if (s.deflate_level == 0) {
    // Uncompressed chunks need no collective I/O (toolchain.md: only filters do). One independent
    // write per tile, straight from the tile, with a selection that is exactly its chunk and a memory
    // space of the chunk's shape: otherwise HDF5 maps the selection to chunks element by element,
    // which cost more than the writing itself.
    H ixpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
    H mspace(H5Screate_simple(5, chunk, nullptr), H5Sclose);  // the chunk's shape: HDF5's fast path
    H tspace(H5Scopy(fspace), H5Sclose);
    ok = ixpl.ok() && H5Pset_dxpl_mpio(ixpl, H5FD_MPIO_INDEPENDENT) >= 0 && mspace.ok() && tspace.ok();
    for (std::size_t i = 0; ok && i < mine.size(); ++i) {
      const hsize_t start[5] = {static_cast<hsize_t>(mine[i].first.row - s.row0),
                                static_cast<hsize_t>(mine[i].first.col - s.col0)};
      ok = H5Sselect_hyperslab(tspace, H5S_SELECT_SET, start, nullptr, chunk, nullptr) >= 0 &&
           H5Dwrite(dset, mtype, mspace, tspace, ixpl, mine[i].second->raw().data()) >= 0;
      writeback.wrote(mine[i].second->byte_size());
    }
    if (!st.agree(ok, "writing tiles")) return;
  }
  for (std::size_t r = 0; s.deflate_level > 0 && r < rounds; ++r) {
    const std::size_t b = std::min(mine.size(), r * per_round), e = std::min(mine.size(), b + per_round);
    const hsize_t n = (e - b) * cells, mn = n ? n : 1;
    H mspace(H5Screate_simple(1, &mn, nullptr), H5Sclose);
    ok = H5Sselect_none(fspace) >= 0 && (n > 0 || H5Sselect_none(mspace) >= 0);
    for (std::size_t i = b; ok && i < e; ++i) {
      const hsize_t start[5] = {static_cast<hsize_t>(mine[i].first.row - s.row0),
                                static_cast<hsize_t>(mine[i].first.col - s.col0)};
      ok = H5Sselect_hyperslab(fspace, H5S_SELECT_OR, start, nullptr, chunk, nullptr) >= 0;
      const Tile& t = *mine[i].second;
      std::memcpy(buf.data() + (i - b) * t.byte_size(), t.raw().data(), t.byte_size());
    }
    ok = ok && H5Dwrite(dset, mtype, mspace, fspace, dxpl, n ? buf.data() : nullptr) >= 0;  // every rank
    writeback.wrote(n * s.cell_type.bytes());  // (the compressed bytes are fewer: a hint per round)
    if (!st.agree(ok, "writing tiles")) return;
  }
  // Keys: every rank knows them all; rank 0 writes them, the others take part with empty selections.
  const hsize_t kdims[2] = {keys.size(), 2};
  H kspace(H5Screate_simple(2, kdims, nullptr), H5Sclose);
  H kset(H5Dcreate2(group, "keys", H5T_STD_I32LE, kspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!st.agree(kset.ok(), "creating the keys dataset") || keys.empty()) return;
  H kmem(H5Screate_simple(2, kdims, nullptr), H5Sclose);
  ok = (Runtime::rank() == 0 || (H5Sselect_none(kmem) >= 0 && H5Sselect_none(kspace) >= 0)) &&
       H5Dwrite(kset, H5T_NATIVE_INT32, kmem, kspace, dxpl, keys.data()) >= 0;
  st.agree(ok, "writing the keys");
}

// Reading (on the calling rank alone, with HDF5's default driver). Throws IoError "hdf5: <path>: <what>[:
// <HDF5's message>]".
[[noreturn]] void fail(const std::string& path, const std::string& what, bool h5 = false) {
  const std::string detail = h5 ? h5_detail() : "";
  throw IoError("hdf5: " + path + ": " + what + (detail.empty() ? "" : ": " + detail));
}

H open_file(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions, not printouts
  H f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!f.ok()) fail(path, "cannot open", true);
  return f;
}

// A scalar attribute: a variable-length string, or an integer.
template <class T>
T read_attr(const std::string& path, hid_t loc, const char* name) {
  constexpr bool text = std::is_same_v<T, std::string>;
  H attr(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) fail(path, std::string("attribute ") + name, true);
  H ftype(H5Aget_type(attr), H5Tclose), space(H5Aget_space(attr), H5Sclose);
  char* p = nullptr;
  std::int64_t v = 0;
  const bool ok = H5Sget_simple_extent_npoints(space) == 1 &&
                  H5Tget_class(ftype) == (text ? H5T_STRING : H5T_INTEGER) &&
                  (text ? H5Tis_variable_str(ftype) > 0 && H5Aread(attr, ftype, &p) >= 0
                        : H5Aread(attr, H5T_NATIVE_INT64, &v) >= 0);
  const std::string str = p ? p : "";
  H5free_memory(p);
  if (!ok)
    fail(path, std::string("attribute ") + name + (text ? " is not a string" : " is not an integer"), true);
  if constexpr (text)
    return str;
  else
    return v;
}

// Opens the tiles dataset of `s`, checking its shape and type against it.
H open_tiles(const std::string& path, hid_t file, const LayerSpec& s) {
  const std::string where = group_path(s) + "/tiles";
  H dset(H5Dopen2(file, where.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dset.ok()) fail(path, where, true);
  H space(H5Dget_space(dset), H5Sclose), ftype(H5Dget_type(dset), H5Tclose);
  H ntype(H5Tget_native_type(ftype, H5T_DIR_ASCEND), H5Tclose);
  std::array<hsize_t, 5> dims{};
  if (H5Sget_simple_extent_ndims(space) != 5 || H5Sget_simple_extent_dims(space, dims.data(), nullptr) != 5 ||
      dims != dims_of(s))
    fail(path, where + " does not have the layer's shape");
  if (H5Tequal(ntype, native_type(s.cell_type.kind)) <= 0)
    fail(path, where + " does not hold " + s.cell_type.name() + " cells");
  return dset;
}

}  // namespace

Writer::Writer(const std::string& path) : path_(path), exceptions_(std::uncaught_exceptions()) {
  run_collective("hdf5: " + path, [&](Steps& st) {
    H fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    const bool ok = H5Pset_fapl_mpio(fapl, data_comm(), MPI_INFO_NULL) >= 0 &&
                    H5Pset_all_coll_metadata_ops(fapl, true) >= 0 &&
                    H5Pset_coll_metadata_write(fapl, true) >= 0;
    if (ok) file_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (!st.agree(file_ >= 0, "creating the file")) file_ = -1;  // a handle some rank got is left open
  });
}

Writer::~Writer() {
  if (file_ < 0 || std::uncaught_exceptions() > exceptions_) return;
  try {
    close();
  } catch (const std::exception& e) {
    const auto* err = dynamic_cast<const Error*>(&e);
    abort_all(err ? err->code() : kExitInternal, std::string("hdf5 Writer destructor: ") + e.what());
  }
}

void Writer::close() {
  if (file_ < 0) return;
  run_collective("hdf5: " + path_, [&](Steps& st) {
    if (!st.agree(H5Fclose(std::exchange(file_, -1)) >= 0, "closing the file")) return;
    // On disk before anyone renames it into place: every rank flushes what it wrote (on a parallel
    // file system each client holds its own dirty pages).
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    st.agree(synced, "flushing the file to disk");
  });
}

void Writer::write_layer(const LayerSpec& s, const std::map<SpaceTimeKey, Tile>& local_tiles,
                         std::size_t round_bytes) {
  if (file_ < 0) throw std::logic_error("hdf5 Writer: write_layer after close");
  check_spec(s);
  Mine mine;
  for (const auto& [k, t] : local_tiles) {
    if (k.instant != 0 || k.col < s.col0 || k.row < s.row0 || k.col >= s.col0 + s.layout_cols ||
        k.row >= s.row0 + s.layout_rows || t.cols() != s.tile_cols || t.rows() != s.tile_rows ||
        t.bands() != s.bands || !(t.cell_type() == s.cell_type))
      throw std::invalid_argument(
          "hdf5 layer '" + s.name + "': tile (" + std::to_string(k.col) + ", " + std::to_string(k.row) +
          ", " + std::to_string(k.instant) +
          ") is outside the layout, or differs from the layer in size, bands or type");
    mine.emplace_back(k, &t);
  }
  std::sort(mine.begin(), mine.end(),
            [](const auto& a, const auto& b) { return row_major_less(a.first, b.first); });
  Keys keys;
  for (const auto& m : mine) keys.push_back({m.first.col, m.first.row});

  // Every key, sorted by (row, col), on every rank (collective: checks in).
  std::vector<std::size_t> counts;
  const auto bytes = allgatherv_bytes(std::as_bytes(std::span(keys)), &counts);
  keys.resize(bytes.size() / sizeof(keys[0]));
  if (!keys.empty()) std::memcpy(keys.data(), bytes.data(), bytes.size());
  std::sort(keys.begin(), keys.end(),
            [](auto& a, auto& b) { return std::tie(a[1], a[0]) < std::tie(b[1], b[0]); });
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())  // every rank sees the same keys
    throw std::invalid_argument("hdf5 layer '" + s.name + "': two ranks hold the same tile");

  const std::size_t tb = static_cast<std::size_t>(s.tile_cols) * s.tile_rows * s.bands * s.cell_type.bytes();
  const std::size_t per_round = std::max<std::size_t>(1, round_bytes / tb);
  const std::size_t rounds =
      (*std::max_element(counts.begin(), counts.end()) / sizeof(keys[0]) + per_round - 1) / per_round;
  std::vector<std::byte> buf(std::min(per_round, mine.size()) * tb);

  run_collective("hdf5: " + path_ + ": " + group_path(s), [&](Steps& st) {
    write_collective(st, file_, path_, s, mine, keys, per_round, rounds, buf);
  });
}

std::vector<std::pair<std::string, int>> list_layers(const std::string& path) {
  H file = open_file(path);
  std::vector<std::pair<std::string, int>> out;
  auto visit = [](hid_t, const char* n, const H5O_info_t* info, void* d) -> herr_t {
    const std::string p = n;  // a layer's is "<name>/<zoom>/tiles"
    const auto a = p.find('/'), b = p.find('/', a + 1);
    if (info->type != H5O_TYPE_DATASET || a == 0 || b == std::string::npos || p.substr(b) != "/tiles")
      return 0;
    const std::string z = p.substr(a + 1, b - a - 1);
    if (!z.empty() && z.size() < 10 && z.find_first_not_of("0123456789") == std::string::npos)
      static_cast<decltype(out)*>(d)->emplace_back(p.substr(0, a), std::stoi(z));
    return 0;
  };
  if (H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, visit, &out, H5O_INFO_BASIC) < 0)
    fail(path, "listing", true);
  std::sort(out.begin(), out.end());
  return out;
}

LayerInfo read_layer_info(const std::string& path, const std::string& name, int zoom) {
  H file = open_file(path);
  LayerInfo info;
  LayerSpec& s = info.spec;
  s.name = name;
  s.zoom = zoom;
  const std::string gp = group_path(s);
  if (name.empty() || name.find('/') != std::string::npos) fail(path, "bad layer name '" + name + "'");
  H g(H5Gopen2(file, gp.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.ok()) fail(path, "no layer " + gp, true);
  s.metadata_json = read_attr<std::string>(path, g, "metadata");
  try {
    s.cell_type = CellType::parse(read_attr<std::string>(path, g, "cell_type"));
  } catch (const JobError& e) {
    fail(path, gp + ": bad cell_type: " + e.what());
  }
  std::int64_t v[7];
  for (int i = 0; i < 7; ++i)
    if ((v[i] = read_attr<std::int64_t>(path, g, kSizeNames[i])) < (i < 5 ? 1 : 0) || v[i] > INT32_MAX)
      fail(path, gp + ": attribute " + kSizeNames[i] + " out of range");
  s.bands = static_cast<int>(v[0]);
  s.tile_cols = static_cast<int>(v[1]);
  s.tile_rows = static_cast<int>(v[2]);
  s.layout_cols = v[3];
  s.layout_rows = v[4];
  s.col0 = v[5];
  s.row0 = v[6];
  H dset = open_tiles(path, file, s);
  H dcpl(H5Dget_create_plist(dset), H5Pclose);
  unsigned flags = 0, cd[4] = {};
  std::size_t ncd = 4;
  const bool deflate =
      dcpl.ok() && H5Pget_filter_by_id2(dcpl, H5Z_FILTER_DEFLATE, &flags, &ncd, cd, 0, nullptr, nullptr) >= 0;
  s.deflate_level = deflate && ncd > 0 ? static_cast<int>(cd[0]) : 0;
  H5Eclear2(H5E_DEFAULT);
  H kset(H5Dopen2(g, "keys", H5P_DEFAULT), H5Dclose);
  if (!kset.ok()) fail(path, gp + "/keys", true);
  H kspace(H5Dget_space(kset), H5Sclose);
  hsize_t kd[2] = {};
  if (H5Sget_simple_extent_ndims(kspace) != 2 || H5Sget_simple_extent_dims(kspace, kd, nullptr) != 2 ||
      kd[1] != 2)
    fail(path, gp + "/keys is not an n x 2 array");
  Keys raw(kd[0]);
  if (!raw.empty() && H5Dread(kset, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    fail(path, gp + "/keys", true);
  for (const auto& [col, row] : raw) {
    const SpaceTimeKey k{col, row, 0};
    if (k.col < s.col0 || k.row < s.row0 || k.col >= s.col0 + s.layout_cols ||
        k.row >= s.row0 + s.layout_rows || (!info.keys.empty() && !row_major_less(info.keys.back(), k)))
      fail(path, gp + "/keys: keys outside the layout, unsorted or repeated");
    info.keys.push_back(k);
  }
  return info;
}

std::map<SpaceTimeKey, Tile> read_tiles(const std::string& path, const LayerInfo& info,
                                        const std::vector<SpaceTimeKey>& keys) {
  const LayerSpec& s = info.spec;
  std::map<SpaceTimeKey, Tile> out;
  auto stored = [&](const SpaceTimeKey& k) {
    return k.instant == 0 && std::binary_search(info.keys.begin(), info.keys.end(), k, row_major_less);
  };
  H file = open_file(path);
  H dset = open_tiles(path, file, s);
  H fspace(H5Dget_space(dset), H5Sclose);
  const auto dims = dims_of(s);
  const hsize_t count[5] = {1, 1, dims[2], dims[3], dims[4]}, cells = dims[2] * dims[3] * dims[4];
  H mspace(H5Screate_simple(1, &cells, nullptr), H5Sclose);
  for (const auto& k : keys) {
    if (!stored(k) || out.count(k)) continue;
    Tile t(s.cell_type, s.tile_cols, s.tile_rows, s.bands);
    const hsize_t start[5] = {static_cast<hsize_t>(k.row - s.row0), static_cast<hsize_t>(k.col - s.col0), 0,
                              0, 0};
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
        H5Dread(dset, native_type(s.cell_type.kind), mspace, fspace, H5P_DEFAULT, t.raw().data()) < 0)
      fail(path, group_path(s) + ": tile (" + std::to_string(k.col) + ", " + std::to_string(k.row) + ")",
           true);
    out.emplace(k, std::move(t));
  }
  return out;
}

}  // namespace trellis::mpi::hdf5
