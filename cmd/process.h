// beacon::cmd process: what the agent asks of the operating system as a whole (the file
// descriptor allowance, returning freed memory) and how it prints its addresses.
//
// Called from the main thread at start-up and on reload; not meant for concurrent use.
#pragma once

#include <string>

namespace beacon::cmd {

// Returns the allocator's free pages to the system (glibc keeps them after a peak).
void release_free_memory();

// A DNS and HTTP server holds a socket per client connection: takes the whole file
// descriptor allowance the system grants (the soft limit is often 1024).
void raise_open_file_limit();

// An address as it is written before ":port" ("[::1]" for IPv6).
std::string host_of(const std::string& address);

}  // namespace beacon::cmd
