#pragma once
/// AtomicFile: writes a file so that readers see either the old contents or the complete
/// new ones, never a half-written file (a checkpoint interrupted by Ctrl-C or a full disk
/// must not destroy the previous one). The bytes go to a temporary file in the target's
/// folder (rename is only atomic within one file system), which commit() flushes to disk
/// (fsync) and renames over the target. Until commit() succeeds the target is untouched;
/// a failed or abandoned AtomicFile removes its temporary file. POSIX only.
///
/// Errors throw gan::Error naming the target path and the system's reason.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

#include "gan/core/error.hpp"

namespace gan::detail {

class AtomicFile {
 public:
  /// Creates the temporary file beside `path`; `what` prefixes error messages ("png").
  AtomicFile(std::string path, std::string what) : path_(std::move(path)), what_(std::move(what)) {
    static std::atomic<unsigned> counter{0};
    // O_EXCL makes a name clash (another writer, a stale file) fail instead of sharing
    // the file; a few retries with a fresh counter step past stale names.
    for (int attempt = 0; attempt < 100; ++attempt) {
      temp_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
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
