#include "gan/io/atomic_file.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <set>
#include <string>

#include "support.hpp"

namespace fs = std::filesystem;

namespace {

using test_support::TempDir;

std::set<std::string> listing(const TempDir& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.insert(e.path().filename().string());
  return names;
}

// A pid that no process has: a child that has exited and been waited for.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

void commit(const std::string& path, const std::string& bytes) {
  gan::detail::AtomicFile f(path, "test");
  f.write(bytes.data(), bytes.size());
  f.commit();
}

}  // namespace

TEST_CASE("a writer killed mid-write leaves a temporary that the next write removes",
          "[io][atomic_file]") {
  TempDir dir("gan_io_atomic");
  const std::string target = dir / "latest.safetensors";
  commit(target, "version 1");

  // The child starts a save and dies by SIGKILL before commit: no destructor runs.
  const pid_t child = ::fork();
  if (child == 0) {
    gan::detail::AtomicFile f(target, "test");
    f.write("half of version 2", 17);
    ::raise(SIGKILL);
    ::_exit(1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  // <target>.tmp.<host>.<child's pid>.<the child's count of temporaries, inherited>
  const std::string stale =
      "latest.safetensors.tmp." + gan::detail::temp_host() + "." + std::to_string(child) + ".";
  const std::set<std::string> after_kill = listing(dir);
  REQUIRE(after_kill.size() == 2);
  REQUIRE(after_kill.count("latest.safetensors") == 1);
  REQUIRE_THAT(*after_kill.rbegin(), Catch::StartsWith(stale));
  REQUIRE(test_support::read_file(target) == "version 1");

  commit(target, "version 3");
  REQUIRE(listing(dir) == std::set<std::string>{"latest.safetensors"});
  REQUIRE(test_support::read_file(target) == "version 3");
}

TEST_CASE("only temporaries of dead writers on this machine, of the same target, are removed",
          "[io][atomic_file]") {
  TempDir dir("gan_io_atomic");
  const std::string host = gan::detail::temp_host();
  const std::string dead = std::to_string(dead_pid());
  const std::string self = std::to_string(::getpid());
  const std::string t = "ckpt.safetensors.tmp.";
  const std::set<std::string> stale = {
      t + host + "." + dead + ".0",  // a dead writer of this machine
      t + dead + ".4",               // the same, named before the host was in the name
  };
  const std::set<std::string> kept = {
      t + host + "." + self + ".9",    // this process: may be writing right now
      t + host + ".1.0",               // pid 1 is alive
      t + "otherhost." + dead + ".0",  // another machine sharing the folder
      "other.safetensors.tmp." + host + "." + dead + ".0",  // another target
      t + host + "." + dead + ".x",                         // not a temporary's name
      t + host + "." + dead,                                // nor this
      "ckpt.safetensors",                                   // the target itself
      "outside",                                            // what the symbolic link points to
  };
  for (const auto& name : stale) REQUIRE(test_support::write_file(dir / name, "litter"));
  for (const auto& name : kept) REQUIRE(test_support::write_file(dir / name, "keep"));
  // A symbolic link and a folder with a stale temporary's name are never removed.
  const std::string link = t + host + "." + dead + ".5", folder = t + host + "." + dead + ".6";
  fs::create_symlink(dir.path / "outside", dir.path / link);
  fs::create_directory(dir.path / folder);

  REQUIRE(gan::detail::remove_stale_temporaries(dir / "ckpt.safetensors") == 2);
  std::set<std::string> expected = kept;
  expected.insert(link);
  expected.insert(folder);
  REQUIRE(listing(dir) == expected);
  REQUIRE(test_support::read_file(dir / "outside") == "keep");
  // A second pass finds nothing; a folder that does not exist is no error.
  REQUIRE(gan::detail::remove_stale_temporaries(dir / "ckpt.safetensors") == 0);
  REQUIRE(gan::detail::remove_stale_temporaries(dir / "missing/ckpt.safetensors") == 0);
}

TEST_CASE("temporary names carry this machine's name without dots", "[io][atomic_file]") {
  const std::string host = gan::detail::temp_host();
  REQUIRE_FALSE(host.empty());
  REQUIRE(host.size() <= 32);
  REQUIRE(host.find('.') == std::string::npos);
  long pid = 0;
  REQUIRE(gan::detail::parse_temp_name("a.tmp." + host + ".123.4", "a", host, pid));
  REQUIRE(pid == 123);
  REQUIRE(gan::detail::parse_temp_name("a.tmp.77.0", "a", host, pid));
  REQUIRE(pid == 77);
  REQUIRE_FALSE(gan::detail::parse_temp_name("a.tmp.b.tmp.1.2", "a", host, pid));
  REQUIRE_FALSE(gan::detail::parse_temp_name("ab.tmp.77.0", "a", host, pid));
  REQUIRE_FALSE(gan::detail::parse_temp_name("a.tmp.0.0", "a", host, pid));
}
