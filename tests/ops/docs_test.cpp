// docs/ops/ is generated from the op registry (the same one that validates jobs and prints
// `trellis ops`): this test fails when a page is stale. TRELLIS_UPDATE_DOCS=1 rewrites the pages.
#include <gtest/gtest.h>

#include <cstdlib>

#include "job/ops_doc.hpp"
#include "ops/registry.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

void check_or_update(const fs::path& p, const std::string& want) {
  if (std::getenv("TRELLIS_UPDATE_DOCS")) {
    write_file(p, want);
    return;
  }
  ASSERT_TRUE(fs::exists(p)) << p << " is missing: run the ops tests with TRELLIS_UPDATE_DOCS=1";
  EXPECT_EQ(read_file(p), want) << p << " is stale: run the ops tests with TRELLIS_UPDATE_DOCS=1";
}

TEST(Docs, EveryOpHasAnUpToDatePage) {
  fs::path dir = source_dir() / "docs" / "ops";
  const auto& reg = ops::registry();
  check_or_update(dir / "README.md", job::ops_markdown_index(reg));
  std::size_t pages = 0;
  for (const auto* op : reg.all()) {
    check_or_update(dir / (op->name + ".md"), job::ops_markdown(*op));
    ++pages;
  }
  EXPECT_GE(pages, 5u);
  // No page for an op that no longer exists.
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string stem = e.path().stem().string();
    if (stem != "README") {
      EXPECT_NE(reg.find(stem), nullptr) << e.path() << " documents an unknown op";
    }
  }
}

}  // namespace
}  // namespace trellis::test
