#pragma once
/// AtomicFile: writes a file so that readers see either the old contents or the complete
/// new ones, never a half-written file (a checkpoint interrupted by Ctrl-C or a full disk
/// must not destroy the previous one). The bytes go to a temporary file in the target's
/// folder (rename is only atomic within one file system), which commit() flushes to disk
/// (fsync) and renames over the target. Until commit() succeeds the target is untouched;
/// a failed or abandoned AtomicFile removes its temporary file. POSIX only.
///
/// A writer killed mid-write (kill -9, a power cut) cannot remove its temporary file, so
/// each new AtomicFile first removes the stale ones of the same target: a temporary is named
/// `<target>.tmp.<host>.<pid>.<n>`, and one is stale when its host is this machine and no
/// process <pid> exists (kill(pid, 0) fails with ESRCH). Only regular files with exactly
/// that name are touched, never a symbolic link, never another target's, never one whose
/// writer may be alive (a live pid, a pid of another user, another machine sharing the
/// folder). Names of the form `<target>.tmp.<pid>.<n>`, written before the host was part of
/// the name, are treated as this machine's.
///
/// Errors throw gan::Error naming the target path and the system's reason.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gan/core/error.hpp"

namespace gan::detail {

/// This machine's name as it appears in temporary file names: letters, digits and '-' only
/// (no '.', which separates the name's fields), at most 32 characters.
inline std::string temp_host() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "host";
  std::string host;
  for (const char* c = buf; *c != '\0' && host.size() < 32; ++c)
    host += (std::isalnum(static_cast<unsigned char>(*c)) || *c == '-') ? *c : '-';
  return host.empty() ? "host" : host;
}

/// Whether `name` (a file name, no folder) is a temporary of target file name `base`
/// written on this machine, and if so by which process.
inline bool parse_temp_name(const std::string& name, const std::string& base,
                            const std::string& host, long& pid) {
  const std::string prefix = base + ".tmp.";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  std::vector<std::string> fields(1);
  for (std::size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] == '.')
      fields.emplace_back();
    else
      fields.back() += name[i];
  }
  const auto digits = [](const std::string& f) {
    if (f.empty() || f.size() > 18) return false;
    for (char c : f)
      if (c < '0' || c > '9') return false;
    return true;
  };
  // <pid>.<n> (before the host was in the name) or <host>.<pid>.<n>.
  if (fields.size() == 3 && fields[0] != host) return false;
  if (fields.size() != 2 && fields.size() != 3) return false;
  const std::string& p = fields[fields.size() - 2];
  if (!digits(p) || !digits(fields.back())) return false;
  pid = std::stol(p);
  return pid > 0;
}

/// Removes the temporary files that dead writers left beside `path` (see above); returns
/// how many. Best effort: a folder it cannot read is left as it is.
inline int remove_stale_temporaries(const std::string& path) noexcept {
  int removed = 0;
  try {
    const std::size_t slash = path.find_last_of('/');
    const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::string host = temp_host();
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) return 0;
    std::vector<std::string> stale;
    while (const dirent* e = ::readdir(dir)) {
      long pid = 0;
      const std::string name = e->d_name;
      if (!parse_temp_name(name, base, host, pid) || pid == ::getpid()) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // may be alive
      stale.push_back(name);
    }
    ::closedir(dir);
    for (const std::string& name : stale) {
      const std::string file = (slash == std::string::npos ? "" : folder) + name;
      struct stat st {};
      // lstat: a symbolic link is never followed, nor removed.
      if (::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::unlink(file.c_str()) == 0)
        ++removed;
    }
  } catch (...) {
    // Out of memory while listing the folder: leave the litter, the write itself matters.
  }
  return removed;
}

class AtomicFile {
 public:
  /// Creates the temporary file beside `path`; `what` prefixes error messages ("png").
  AtomicFile(std::string path, std::string what) : path_(std::move(path)), what_(std::move(what)) {
    static std::atomic<unsigned> counter{0};
    remove_stale_temporaries(path_);
    // O_EXCL makes a name clash (another writer, a stale file) fail instead of sharing
    // the file; a few retries with a fresh counter step past stale names.
    const std::string stem = path_ + ".tmp." + temp_host() + "." + std::to_string(::getpid()) + ".";
    for (int attempt = 0; attempt < 100; ++attempt) {
      temp_ = stem + std::to_string(counter++);
      fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0 || errno != EEXIST) break;
    }
    if (fd_ < 0) fail("cannot create a temporary file beside it");
  }

  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  ~AtomicFile() { abandon(); }

  /// Appends n bytes.
  void write(const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ::ssize_t done = ::write(fd_, p, n);
      if (done < 0) {
        if (errno == EINTR) continue;
        fail("write failed");
      }
      p += done;
      n -= static_cast<std::size_t>(done);
    }
  }

  /// Flushes to disk and renames the temporary file over the target.
  void commit() {
    if (::fsync(fd_) != 0) fail("fsync failed");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("close failed");
    if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot replace it");
    temp_.clear();
    sync_folder();
  }

 private:
  [[noreturn]] void fail(const char* step) {
    const int err = errno;
    abandon();
    throw Error(what_ + ": cannot write '" + path_ + "': " + step + ": " + std::strerror(err));
  }

  void abandon() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
  }

  // The rename itself is durable only once the folder's entry is on disk; failing to
  // sync it does not lose the new file's contents, so it is not an error.
  void sync_folder() const noexcept {
    const std::size_t slash = path_.find_last_of('/');
    const std::string folder = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    static_cast<void>(::fsync(fd));
    ::close(fd);
  }

  std::string path_, what_, temp_;
  int fd_ = -1;
};

}  // namespace gan::detail
