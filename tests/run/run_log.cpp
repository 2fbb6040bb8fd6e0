// open_run_log: a resumed run's CSV logs keep each step once, in order.
#include "gan/run/run_log.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "support.hpp"

namespace {
const std::string header = "step,epoch,loss";
}

TEST_CASE("open_run_log: a new run starts the file afresh with its header", "[run][log]") {
  test_support::TempDir dir;
  const std::string path = (dir.path / "log.csv").string();
  test_support::write_file(path, "step,epoch,loss\n1,1,0.5\n");
  {
    auto log = gan::run::open_run_log(path, header, 0);
    log << "1,1,0.25\n";
  }
  REQUIRE(test_support::read_file(path) == "step,epoch,loss\n1,1,0.25\n");
}

TEST_CASE("open_run_log: a resumed run drops the rows after its checkpoint and a cut-off row",
          "[run][log]") {
  test_support::TempDir dir;
  const std::string path = (dir.path / "log.csv").string();
  // Saved at step 2; the killed run logged steps 3 and 4 and died in the middle of step 5's row.
  test_support::write_file(path, "step,epoch,loss\n1,1,0.5\n2,1,0.4\n3,1,0.3\n4,2,0.2\n5,2,0.");
  {
    auto log = gan::run::open_run_log(path, header, 2);
    log << "3,1,0.35\n";
  }
  REQUIRE(test_support::read_file(path) == "step,epoch,loss\n1,1,0.5\n2,1,0.4\n3,1,0.35\n");
  for (const auto& entry : std::filesystem::directory_iterator(dir.path))
    REQUIRE(entry.path().filename() == "log.csv");  // no temporary file left behind
}

TEST_CASE("open_run_log: a resumed run without its file, or with nothing to drop", "[run][log]") {
  test_support::TempDir dir;
  const std::string missing = (dir.path / "new").string() + ".csv";
  {
    auto log = gan::run::open_run_log(missing, header, 7);
    log << "8,2,0.1\n";
  }
  REQUIRE(test_support::read_file(missing) == "step,epoch,loss\n8,2,0.1\n");

  const std::string intact = (dir.path / "intact.csv").string();
  const std::string rows = "step,epoch,loss\n1,1,0.5\n2,1,0.4\n";
  test_support::write_file(intact, rows);
  { auto log = gan::run::open_run_log(intact, header, 2); }
  REQUIRE(test_support::read_file(intact) == rows);

  // A file without its header (cut off at the first line) gets it back; a row whose step
  // does not parse is kept as it was.
  const std::string headless = (dir.path / "headless.csv").string();
  test_support::write_file(headless, "1,1,0.5\nnot a step,1,0\n3,1,0.3\n");
  { auto log = gan::run::open_run_log(headless, header, 2); }
  REQUIRE(test_support::read_file(headless) == "step,epoch,loss\n1,1,0.5\nnot a step,1,0\n");
}

TEST_CASE("open_run_log: an unwritable path is one clear error", "[run][log][errors]") {
  REQUIRE_THROWS_WITH(gan::run::open_run_log("/nonexistent-folder/log.csv", header, 0),
                      Catch::Contains("cannot write '/nonexistent-folder/log.csv'"));
}
