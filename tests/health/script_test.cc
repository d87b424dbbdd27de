// Script checks: exit codes, captured output, and timeouts and removal killing the whole
// process group. The engine's clock is a ManualClock (advancing it starts the first runs at
// once); the scripts and their timeouts run on real time.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "health/engine.h"
#include "tests/health/recorder.h"

namespace beacon::health {

using catalog::Health;
using Kind = config::CheckConfig::Kind;
using namespace test;

namespace {

config::CheckConfig script(const std::string& shell, config::Duration timeout = config::Duration{0}) {
  auto def = periodic(Kind::script);
  def.args = {"/bin/sh", "-c", shell};
  def.timeout = timeout;
  return def;
}

// The pid written to `file`, or 0 while it is not there yet.
pid_t read_pid(const std::string& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// Gone: no such process, or a zombie waiting for a reaper that is not us.
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("script exit codes map to passing, warning and critical", "[engine][script]") {
  asio::io_context io;
  ManualClock clock;
  Recorder rec;
  Engine engine(io, script_options(), rec.status_fn(), rec.reap_fn(), clock);
  REQUIRE(engine.add(make_check("exit0"), script("echo fine")));
  REQUIRE(engine.add(make_check("exit1"), script("echo hmm >&2; exit 1")));
  REQUIRE(engine.add(make_check("exit2", Health::passing), script("echo bad; exit 2")));
  REQUIRE(engine.add(make_check("missing", Health::passing), [] {
    auto def = periodic(Kind::script);
    def.args = {"/nonexistent/program"};
    return def;
  }()));
  io.poll();  // the checks arm their first runs, within the interval
  clock.advance(1000ms);
  REQUIRE(run_until(io, [&] { return rec.calls.size() == 4; }, 3000ms));
  CHECK(engine.state("exit0")->status == Health::passing);
  CHECK(engine.state("exit0")->output == "fine\n");
  CHECK(engine.state("exit1")->status == Health::warning);
  CHECK(engine.state("exit1")->output == "hmm\n");
  CHECK(engine.state("exit2")->status == Health::critical);
  CHECK(engine.state("exit2")->output == "bad\n");
  CHECK(engine.state("missing")->status == Health::critical);
  CHECK(engine.state("missing")->output == "Failed to invoke: No such file or directory");
}

TEST_CASE("script output keeps the last output_max bytes", "[engine][script]") {
  asio::io_context io;
  ManualClock clock;
  Recorder rec;
  Engine engine(io, script_options(8), rec.status_fn(), rec.reap_fn(), clock);
  REQUIRE(engine.add(make_check("long"), script("printf 'aaaaaaaaaaaaaaaaaaaa0123456789'")));
  io.poll();  // the checks arm their first runs, within the interval
  clock.advance(1000ms);
  REQUIRE(run_until(io, [&] { return rec.calls.size() == 1; }, 3000ms));
  CHECK(engine.state("long")->output == "Captured 8 of 30 bytes\n...\n23456789");
}

TEST_CASE("a script timeout kills its whole process group", "[engine][script]") {
  asio::io_context io;
  ManualClock clock;
  TempDir dir;
  std::string pidfile = dir.file("child.pid");
  Recorder rec;
  Engine engine(io, script_options(), rec.status_fn(), rec.reap_fn(), clock);
  REQUIRE(engine.add(make_check("slow", Health::passing),
                     script("sleep 30 & echo $! > " + pidfile + "; wait", config::Duration{500})));
  io.poll();  // the checks arm their first runs, within the interval
  clock.advance(1000ms);
  REQUIRE(run_until(io, [&] { return rec.calls.size() == 1; }, 3000ms));
  CHECK(rec.calls[0].status == Health::critical);
  CHECK(rec.calls[0].output == "Timed out (500ms) running check");
  pid_t child = read_pid(pidfile);
  REQUIRE(child > 0);
  CHECK(run_until(io, [&] { return process_gone(child); }, 2000ms));
}

TEST_CASE("removing a check kills its running script", "[engine][script]") {
  asio::io_context io;
  ManualClock clock;
  TempDir dir;
  std::string pidfile = dir.file("child.pid");
  Recorder rec;
  Engine engine(io, script_options(), rec.status_fn(), rec.reap_fn(), clock);
  REQUIRE(engine.add(make_check("long-running", Health::passing), script("sleep 30 & echo $! > " + pidfile + "; wait")));
  io.poll();  // the checks arm their first runs, within the interval
  clock.advance(1000ms);
  REQUIRE(run_until(io, [&] { return read_pid(pidfile) > 0; }, 3000ms));
  pid_t child = read_pid(pidfile);
  engine.remove("long-running");
  CHECK(run_until(io, [&] { return process_gone(child); }, 2000ms));
  run_for(io, 200ms);
  CHECK(rec.calls.empty());
}

}  // namespace beacon::health
