// Process-wide settings of the agent.
#include "cmd/process.h"

#include <malloc.h>
#include <sys/resource.h>

namespace beacon::cmd {

void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void raise_open_file_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

std::string host_of(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

}  // namespace beacon::cmd
