#include "mpi/hdf5_store.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "mpi/collectives.hpp"
#include "mpi/comm.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi::hdf5 {
namespace {

namespace fs = std::filesystem;
using test::gen_tile;
using test::mix;
using test::rank;
using test::size;

// A file path every rank shares, removed (by rank 0) when the object dies.
class SharedTemp {
 public:
  explicit SharedTemp(const std::string& stem) {
    path_ = (fs::temp_directory_path() / (stem + "_" + std::to_string(getpid()) + ".h5")).string();
    broadcast_string(path_, 0);
  }
  ~SharedTemp() {
    MPI_Barrier(data_comm());  // every rank is done with the file
    if (rank() == 0) fs::remove(path_);
  }
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

// A sparse layer every rank can compute (its keys from (col0, row0)): tile (c, r) exists unless mix(c, r,
// zoom) % 4 == 0; its owner is (c + r) % size, except that at 4 ranks rank 3 owns nothing.
struct TestLayer {
  LayerSpec spec;
  bool exists(int c, int r) const { return mix(c, r, spec.zoom) % 4 != 0; }
  int owner(int c, int r) const { return (c + r) % (size() == 4 ? 3 : size()); }
  Tile tile(int c, int r) const {
    return gen_tile(spec.cell_type, spec.tile_cols, spec.tile_rows, spec.bands, mix(c, r, spec.zoom + 77));
  }
  std::vector<SpaceTimeKey> keys() const {  // sorted by (row, col)
    std::vector<SpaceTimeKey> out;
    for (int r = spec.row0; r < spec.row0 + spec.layout_rows; ++r)
      for (int c = spec.col0; c < spec.col0 + spec.layout_cols; ++c)
        if (exists(c, r)) out.push_back({c, r, 0});
    return out;
  }
  std::map<SpaceTimeKey, Tile> local() const {
    std::map<SpaceTimeKey, Tile> out;
    for (const auto& k : keys())
      if (owner(k.col, k.row) == rank()) out.emplace(k, tile(k.col, k.row));
    return out;
  }
  std::vector<SpaceTimeKey> all_keys() const {
    std::vector<SpaceTimeKey> out;
    // the dataset's keys, and keys around it (outside: never read)
    for (int r = static_cast<int>(spec.row0) - 1; r <= spec.row0 + spec.layout_rows; ++r)
      for (int c = static_cast<int>(spec.col0) - 1; c <= spec.col0 + spec.layout_cols; ++c)
        out.push_back({c, r, 0});
    return out;
  }
};

const std::string kMetadata =
    "{\"extent\": [0.5, -1e300], \"note\": \"caf\xc3\xa9 \\\"q\\\"\",\n  \"k\": {}}\n";

std::vector<TestLayer> test_layers() {
  return {
      {{"alpha", 3, {CellKind::Int16, NoDataMode::Constant, 0}, 1, 5, 4, 2, 1, 7, 6, kMetadata, 6}},
      {{"alpha", 4, {CellKind::Float32, NoDataMode::Constant, 0}, 1, 6, 3, 0, 0, 8, 5, "{}", 1}},
      {{"beta", 0, {CellKind::UInt8, NoDataMode::Raw, 0}, 1, 3, 5, 0, 0, 4, 9, "{\"raw\": true}", 0}},
      {{"gamma", 12, {CellKind::Float64, NoDataMode::UserDefined, -9999}, 3, 4, 4, 3, 7, 5, 6, kMetadata, 9}},
  };
}

void check_layer(const std::string& path, const TestLayer& l) {
  SCOPED_TRACE(l.spec.name + "/" + std::to_string(l.spec.zoom));
  const LayerInfo info = read_layer_info(path, l.spec.name, l.spec.zoom);
  EXPECT_EQ(info.spec, l.spec);
  EXPECT_EQ(info.spec.metadata_json, l.spec.metadata_json);
  EXPECT_EQ(info.keys, l.keys());
  const auto got = read_tiles(path, info, l.all_keys());
  ASSERT_EQ(got.size(), l.keys().size());
  for (const auto& k : l.keys()) {
    auto it = got.find(k);
    ASSERT_TRUE(it != got.end()) << k.col << "," << k.row;
    EXPECT_TRUE(it->second == l.tile(k.col, k.row)) << k.col << "," << k.row;
  }
}

TEST(Hdf5Store, WritesLayersAndReadsThemBackOnEveryRank) {
  SharedTemp file("trellis_hdf5_store");
  const auto layers = test_layers();
  {
    Writer w(file.str());
    for (const auto& l : layers) w.write_layer(l.spec, l.local());
    w.close();
  }
  EXPECT_EQ(list_layers(file.str()), (std::vector<std::pair<std::string, int>>{
                                         {"alpha", 3}, {"alpha", 4}, {"beta", 0}, {"gamma", 12}}));
  for (const auto& l : layers) check_layer(file.str(), l);

  // Not in the layout, missing, or with an instant: skipped.
  const LayerInfo info = read_layer_info(file.str(), "alpha", 3);
  std::vector<SpaceTimeKey> odd{{100, 0, 0}, {-1, 0, 0}, {info.keys[0].col, info.keys[0].row, 5}};
  for (const auto& k : layers[0].all_keys())
    if (!layers[0].exists(k.col, k.row)) odd.push_back(k);
  EXPECT_TRUE(read_tiles(file.str(), info, odd).empty());

  EXPECT_THROW(read_layer_info(file.str(), "alpha", 5), IoError);
  EXPECT_THROW(read_layer_info(file.str(), "delta", 0), IoError);
  EXPECT_THROW(read_layer_info(file.str() + ".none", "alpha", 3), IoError);
  EXPECT_THROW(list_layers(file.str() + ".none"), IoError);
}

// The dataset as HDF5 sees it: one chunk per tile, deflate, NoData fill (what a missing tile reads as).
TEST(Hdf5Store, DatasetHasOneChunkPerTileDeflateAndNoDataFill) {
  SharedTemp file("trellis_hdf5_store_layout");
  const TestLayer l = test_layers()[0];
  {
    Writer w(file.str());
    w.write_layer(l.spec, l.local());
  }  // closed by the destructor
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(file.str().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t d = H5Dopen2(f, "/alpha/3/tiles", H5P_DEFAULT);
  ASSERT_GE(d, 0);
  hid_t dcpl = H5Dget_create_plist(d);
  hsize_t chunk[5] = {};
  ASSERT_EQ(H5Pget_chunk(dcpl, 5, chunk), 5);
  EXPECT_EQ(std::vector<hsize_t>(chunk, chunk + 5), (std::vector<hsize_t>{1, 1, 1, 6, 7}));
  ASSERT_EQ(H5Pget_nfilters(dcpl), 1);
  unsigned flags = 0, cd[4] = {};
  std::size_t ncd = 4;
  EXPECT_EQ(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, nullptr, nullptr), H5Z_FILTER_DEFLATE);
  EXPECT_EQ(cd[0], 6u);
  H5D_fill_time_t ft{};
  H5Pget_fill_time(dcpl, &ft);
  EXPECT_EQ(ft, H5D_FILL_TIME_IFSET);
  H5D_alloc_time_t at{};
  H5Pget_alloc_time(dcpl, &at);
  hsize_t nchunks = 0;
  hid_t space = H5Dget_space(d);
  EXPECT_GE(H5Dget_num_chunks(d, space, &nchunks), 0);
  EXPECT_GE(nchunks, l.keys().size());
  H5Sclose(space);
  if (rank() == 0)
    std::printf("[ info ] alloc time %d (1 early, 3 incr); %llu chunks on disk for %zu tiles of %ld\n",
                static_cast<int>(at), static_cast<unsigned long long>(nchunks), l.keys().size(),
                l.spec.layout_cols * l.spec.layout_rows);
  // The whole dataset at once: every cell of a missing tile is NoData.
  std::vector<std::int16_t> all(5 * 4 * 6 * 7);
  ASSERT_GE(H5Dread(d, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), 0);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 5; ++c) {
      const int kc = static_cast<int>(l.spec.col0) + c, kr = static_cast<int>(l.spec.row0) + r;
      const Tile want = l.exists(kc, kr) ? l.tile(kc, kr) : Tile(l.spec.cell_type, 7, 6);
      EXPECT_EQ(0, std::memcmp(all.data() + (r * 5 + c) * 42, want.raw().data(), 42 * 2)) << c << "," << r;
    }
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
}

// A dense uncompressed layer writes every chunk itself: no fill (which would write the dataset twice);
// a sparse one keeps the NoData fill for its missing tiles. Both read back exactly.
TEST(Hdf5Store, DenseUncompressedLayersAreNotFilledFirst) {
  SharedTemp file("trellis_hdf5_store_dense");
  TestLayer sparse = test_layers()[0];
  sparse.spec.deflate_level = 0;
  struct Dense : TestLayer {
    std::map<SpaceTimeKey, Tile> local() const {
      std::map<SpaceTimeKey, Tile> out;
      for (int r = spec.row0; r < spec.row0 + spec.layout_rows; ++r)
        for (int c = spec.col0; c < spec.col0 + spec.layout_cols; ++c)
          if (owner(c, r) == rank()) out.emplace(SpaceTimeKey{c, r, 0}, tile(c, r));
      return out;
    }
  } dense;
  dense.spec = sparse.spec;
  dense.spec.name = "dense";
  {
    Writer w(file.str());
    w.write_layer(sparse.spec, sparse.local());
    w.write_layer(dense.spec, dense.local());
    w.close();
  }
  check_layer(file.str(), sparse);
  const LayerInfo info = read_layer_info(file.str(), "dense", dense.spec.zoom);
  ASSERT_EQ(info.keys.size(), static_cast<std::size_t>(dense.spec.layout_cols * dense.spec.layout_rows));
  const auto got = read_tiles(file.str(), info, info.keys);
  for (const auto& k : info.keys) EXPECT_TRUE(got.at(k) == dense.tile(k.col, k.row)) << k.col << "," << k.row;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(file.str().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const auto& [dataset, want] :
       {std::pair{"/alpha/3/tiles", H5D_FILL_TIME_IFSET}, std::pair{"/dense/3/tiles", H5D_FILL_TIME_NEVER}}) {
    hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
    ASSERT_GE(d, 0);
    hid_t dcpl = H5Dget_create_plist(d);
    H5D_fill_time_t ft{};
    H5Pget_fill_time(dcpl, &ft);
    EXPECT_EQ(ft, want) << dataset;
    EXPECT_EQ(H5Pget_nfilters(dcpl), 0) << dataset;
    H5Pclose(dcpl);
    H5Dclose(d);
  }
  H5Fclose(f);
}

// Rounds of one tile per H5Dwrite (ranks owning fewer tiles make empty calls), an empty layer, and
// many tiles (timed).
TEST(Hdf5Store, SmallRoundsEmptyLayerAndManyTiles) {
  SharedTemp file("trellis_hdf5_store_rounds");
  TestLayer big{{"big", 7, {CellKind::Float32, NoDataMode::Constant, 0}, 1, 40, 30, 0, 0, 8, 8, "{}", 1}};
  const auto few = test_layers();
  TestLayer empty{{"empty", 1, {CellKind::Bool, NoDataMode::Raw, 0}, 1, 2, 2, 0, 0, 3, 3, "", 6}};
  {
    Writer w(file.str());
    w.write_layer(few[3].spec, few[3].local(), 1);
    w.write_layer(few[1].spec, few[1].local(), 3 * 8 * 5 * 4);
    w.write_layer(empty.spec, {});
    const auto local = big.local();
    const double t0 = MPI_Wtime();
    w.write_layer(big.spec, local);
    if (rank() == 0)
      std::printf("[ info ] %zu tiles in one round: %.3f s\n", big.keys().size(), MPI_Wtime() - t0);
    w.close();
    w.close();  // idempotent
  }
  check_layer(file.str(), few[3]);
  check_layer(file.str(), few[1]);
  check_layer(file.str(), big);
  const LayerInfo info = read_layer_info(file.str(), "empty", 1);
  EXPECT_EQ(info.spec, empty.spec);
  EXPECT_TRUE(info.keys.empty());
}

TEST(Hdf5Store, BadTilesAndExistingLayersFailOnEveryRank) {
  SharedTemp file("trellis_hdf5_store_errors");
  const TestLayer l = test_layers()[0];
  Writer w(file.str());
  // Every rank: a key outside the layout, a tile of the wrong size or type.
  std::map<SpaceTimeKey, Tile> outside{{{5, 0, 0}, l.tile(0, 0)}};
  EXPECT_THROW(w.write_layer(l.spec, outside), std::invalid_argument);
  std::map<SpaceTimeKey, Tile> wrong{{{0, 0, 0}, Tile(l.spec.cell_type, 6, 6)}};
  EXPECT_THROW(w.write_layer(l.spec, wrong), std::invalid_argument);
  LayerSpec bad = l.spec;
  bad.name = "a/b";
  EXPECT_THROW(w.write_layer(bad, {}), std::invalid_argument);
  // One rank: it fails, the others meet a PeerFailure at the check-in.
  const auto o = test::run_step([&] {
    std::map<SpaceTimeKey, Tile> tiles = l.local();
    if (rank() == size() - 1) tiles.emplace(SpaceTimeKey{0, 0, 3}, l.tile(0, 0));
    w.write_layer(l.spec, tiles);
  });
  EXPECT_EQ(o.code, kExitInternal);
  EXPECT_EQ(o.rank, size() - 1);
  EXPECT_EQ(o.self_failed, rank() == size() - 1);
  // The same key on two ranks: std::invalid_argument on every rank.
  if (size() > 1) {
    std::map<SpaceTimeKey, Tile> same{{{1, 1, 0}, l.tile(1, 1)}};
    EXPECT_THROW(w.write_layer(l.spec, same), std::invalid_argument);
  }
  // The layer exists: IoError on every rank.
  w.write_layer(l.spec, l.local());
  EXPECT_THROW(w.write_layer(l.spec, l.local()), IoError);
  w.close();
  EXPECT_THROW(w.write_layer(l.spec, {}), std::logic_error);
  check_layer(file.str(), l);
  EXPECT_THROW(Writer(fs::temp_directory_path().string() + "/no/such/dir/x.h5"), IoError);
}

// h5py reads what the store wrote (skipped when python3-h5py is missing).
TEST(Hdf5Store, ReadableByH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no h5py";
  SharedTemp file("trellis_hdf5_store_h5py");
  const TestLayer l = test_layers()[3];
  {
    Writer w(file.str());
    w.write_layer(l.spec, l.local());
  }
  if (rank() != 0) return;
  const SpaceTimeKey k = l.keys().back();
  const std::string script = "import h5py,sys\nf=h5py.File(sys.argv[1],'r')\ng=f['gamma/12']\nt=g['tiles'][" +
                             std::to_string(k.row - l.spec.row0) + "," + std::to_string(k.col - l.spec.col0) +
                             "]\nprint(t.shape,g.attrs['cell_type'],g.attrs['bands'],len(g['keys']),"
                             "'%.17g'%t[2,5,4],g.attrs['metadata']==" +
                             "open(sys.argv[2],encoding='utf-8').read())\n";
  const std::string py = file.str() + ".py", meta = file.str() + ".json";
  std::FILE* s = std::fopen(py.c_str(), "w");
  std::fputs(script.c_str(), s);
  std::fclose(s);
  std::FILE* m = std::fopen(meta.c_str(), "w");
  std::fputs(kMetadata.c_str(), m);
  std::fclose(m);
  std::FILE* p = popen(("/usr/bin/python3 " + py + " " + file.str() + " " + meta + " 2>&1").c_str(), "r");
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  fs::remove(py);
  fs::remove(meta);
  char cell[64];
  std::snprintf(cell, sizeof cell, "%.17g", l.tile(k.col, k.row).band_as<double>(2)[5 * 5 + 4]);
  std::printf("[ info ] h5py: %s", out.c_str());
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("(3, 6, 5) float64ud-9999.0 3 " + std::to_string(l.keys().size()) + " " + cell),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(" True"), std::string::npos) << out;
}

}  // namespace
}  // namespace trellis::mpi::hdf5
