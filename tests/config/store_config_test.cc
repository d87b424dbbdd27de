// [store] and [[datacenters]]: defaults, every valid form, merging across files, and every
// error with its position. The etcd password never appears in an error message.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/validate.h"
#include "tests/config/temp_dir.h"

namespace beacon::config {
namespace {

using namespace std::chrono_literals;
using test::TempDir;
using Strings = std::vector<std::string>;

Config load_ok(std::string_view toml) {
  auto got = load_string(toml, "s.toml");
  if (!got) FAIL(got.error().message);
  return *got;
}

std::string load_error(std::string_view toml) {
  auto got = load_string(toml, "s.toml");
  if (got) FAIL("expected an error for:\n" << toml);
  return got.error().message;
}

// "[store]\nbackend = \"etcd\"\netcd_endpoints = [...]\n" followed by `more`.
std::string etcd_store(std::string_view endpoints, std::string_view more = "") {
  return "[store]\nbackend = \"etcd\"\netcd_endpoints = " + std::string(endpoints) + "\n" +
         std::string(more);
}

TEST_CASE("store and datacenters defaults: embedded, nothing else", "[config][store]") {
  Config c = load_ok("");
  CHECK(c.store.backend == "embedded");
  CHECK(c.store.etcd_endpoints.empty());
  CHECK(c.store.etcd_prefix == "beacon/");
  CHECK(c.store.ca_file.empty());
  CHECK(c.store.cert_file.empty());
  CHECK(c.store.key_file.empty());
  CHECK(c.store.username.empty());
  CHECK(c.store.password.empty());
  CHECK(c.store.lease_ttl == 10s);
  CHECK(c.store.request_timeout == 3s);
  CHECK(c.datacenters.empty());

  // An empty [store] table changes nothing either.
  Config empty_table = load_ok("[store]\n");
  CHECK(empty_table.store.backend == "embedded");
  CHECK(empty_table.store.lease_ttl == 10s);
}

TEST_CASE("every [store] key is read", "[config][store]") {
  TempDir dir;
  std::string ca = dir.write("ca.pem", "ca");
  std::string cert = dir.write("client.pem", "cert");
  std::string key = dir.write("client-key.pem", "key");
  Config c = load_ok(R"([store]
backend = "etcd"
etcd_endpoints = ["https://127.0.0.1:2379", "https://10.0.0.2:2379/"]
etcd_prefix = "prod/beacon/"
ca_file = ")" + ca + R"("
cert_file = ")" + cert + R"("
key_file = ")" + key + R"("
username = "beacon"
password = "secret"
lease_ttl = "15s"
request_timeout = "1500ms"
)");
  const StoreConfig& s = c.store;
  CHECK(s.backend == "etcd");
  CHECK(s.etcd_endpoints == Strings{"https://127.0.0.1:2379", "https://10.0.0.2:2379"});
  CHECK(s.etcd_prefix == "prod/beacon/");
  CHECK(s.ca_file == ca);
  CHECK(s.cert_file == cert);
  CHECK(s.key_file == key);
  CHECK(s.username == "beacon");
  CHECK(s.password == "secret");
  CHECK(s.lease_ttl == 15s);
  CHECK(s.request_timeout == 1500ms);
}

TEST_CASE("etcd endpoints are normalised to scheme://host:port", "[config][store]") {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"http://127.0.0.1:2379", "http://127.0.0.1:2379"},
      {"https://10.0.0.2:2379", "https://10.0.0.2:2379"},
      {"http://127.0.0.1:2379/", "http://127.0.0.1:2379"},  // one trailing '/' is dropped
      {"http://[::1]:2379", "http://[::1]:2379"},
      {"https://[2001:DB8:0:0::1]:2379/", "https://[2001:db8::1]:2379"},  // canonical IPv6
      {"http://[::ffff:10.0.0.1]:1", "http://[::ffff:10.0.0.1]:1"},
      {"http://etcd-1:2379", "http://etcd-1:2379"},
      {"http://Etcd-1.Example.COM:2379", "http://etcd-1.example.com:2379"},  // names: lower case
      {"HTTPS://etcd.example:65535", "https://etcd.example:65535"},           // scheme too
      {"http://etcd:02379", "http://etcd:2379"},                               // port as a number
      {"http://3com.example:1", "http://3com.example:1"},  // labels may start with a digit
      {"http://a:1", "http://a:1"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    Config cfg = load_ok(etcd_store("[\"" + std::string(c.in) + "\"]"));
    CHECK(cfg.store.etcd_endpoints == Strings{c.out});
    // The same rules apply to a datacenter's endpoints.
    Config dc = load_ok(etcd_store("[\"http://127.0.0.1:2379\"]", "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"" +
                                                                    std::string(c.in) + "\"]\n"));
    REQUIRE(dc.datacenters.size() == 1);
    CHECK(dc.datacenters[0].etcd_endpoints == Strings{c.out});
  }
}

TEST_CASE("etcd_prefix accepts any non-empty key prefix ending with '/'", "[config][store]") {
  for (const char* prefix : {"beacon/", "a/", "prod/beacon/", "x-y_z.1/", "b\xC3\xA9" "acon/", "a//"}) {
    CAPTURE(prefix);
    CHECK(load_ok("[store]\netcd_prefix = \"" + std::string(prefix) + "\"\n").store.etcd_prefix ==
          prefix);
  }
}

TEST_CASE("the embedded backend accepts and ignores etcd keys", "[config][store]") {
  TempDir dir;
  std::string ca = dir.write("ca.pem", "ca");
  Config c = load_ok(R"([store]
backend = "embedded"
etcd_endpoints = ["https://10.0.0.1:2379"]
etcd_prefix = "other/"
ca_file = ")" + ca + R"("
username = "u"
password = "p"
)");
  CHECK(c.store.backend == "embedded");
  CHECK(c.store.etcd_endpoints == Strings{"https://10.0.0.1:2379"});
  CHECK(c.store.etcd_prefix == "other/");
  // An empty endpoint list is fine too when nothing needs it.
  CHECK(load_ok("[store]\netcd_endpoints = []\n").store.etcd_endpoints.empty());
}

TEST_CASE("TLS and credential combinations that are allowed", "[config][store]") {
  TempDir dir;
  std::string ca = dir.write("ca.pem", "ca");
  std::string cert = dir.write("c.pem", "c");
  std::string key = dir.write("k.pem", "k");
  // https without ca_file: the system trust store.
  CHECK(load_ok(etcd_store(R"(["https://etcd:2379"])")).store.ca_file.empty());
  // Client certificate without ca_file, and ca_file alone.
  Config client = load_ok(etcd_store(R"(["https://etcd:2379"])",
                                     "cert_file = \"" + cert + "\"\nkey_file = \"" + key + "\"\n"));
  CHECK(client.store.cert_file == cert);
  CHECK(client.store.key_file == key);
  CHECK(load_ok(etcd_store(R"(["https://etcd:2379"])", "ca_file = \"" + ca + "\"\n")).store.ca_file == ca);
  // One https endpoint among http ones is enough for TLS files.
  CHECK(load_ok(etcd_store(R"(["http://a:1", "https://b:2"])", "ca_file = \"" + ca + "\"\n"))
            .store.ca_file == ca);
  // Credentials over plain http.
  Config creds = load_ok(etcd_store(R"(["http://etcd:2379"])", "username = \"u\"\npassword = \"p\"\n"));
  CHECK(creds.store.username == "u");
  CHECK(creds.store.password == "p");
  // Relative paths are read from the working directory.
  std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto relative = load_string(etcd_store(R"(["https://etcd:2379"])", "ca_file = \"ca.pem\"\n"), "s.toml");
  std::filesystem::current_path(cwd);
  REQUIRE(relative.has_value());
  CHECK(relative->store.ca_file == "ca.pem");
}

TEST_CASE("lease_ttl and request_timeout bounds are inclusive", "[config][store]") {
  Config low = load_ok("[store]\nlease_ttl = \"2s\"\nrequest_timeout = \"100ms\"\n");
  CHECK(low.store.lease_ttl == 2s);
  CHECK(low.store.request_timeout == 100ms);
  Config high = load_ok("[store]\nlease_ttl = \"1h\"\nrequest_timeout = \"60s\"\n");
  CHECK(high.store.lease_ttl == 1h);
  CHECK(high.store.request_timeout == 60s);
  Config just_below = load_ok("[store]\nlease_ttl = \"5s\"\nrequest_timeout = \"4.999s\"\n");
  CHECK(just_below.store.request_timeout == 4999ms);
  CHECK(load_ok("[store]\nlease_ttl = \"1h0m0.0009s\"\n").store.lease_ttl == 1h);  // rounded down
}

TEST_CASE("datacenters are read, lower-cased and get the default prefix", "[config][store]") {
  Config c = load_ok(etcd_store(R"(["http://127.0.0.1:2379"])", R"(
[[datacenters]]
name = "dc2"
etcd_endpoints = ["http://10.1.0.1:2379"]
etcd_prefix = "beacon/"

[[datacenters]]
name = "EU-West-1"
etcd_endpoints = ["https://etcd.eu:2379/", "http://10.2.0.1:2379"]

[[datacenters]]
name = "dc3"
etcd_endpoints = ["http://10.3.0.1:2379"]
etcd_prefix = "other/"
)"));
  REQUIRE(c.datacenters.size() == 3);
  CHECK(c.datacenters[0].name == "dc2");
  CHECK(c.datacenters[0].etcd_endpoints == Strings{"http://10.1.0.1:2379"});
  CHECK(c.datacenters[0].etcd_prefix == "beacon/");
  CHECK(c.datacenters[1].name == "eu-west-1");
  CHECK(c.datacenters[1].etcd_endpoints == Strings{"https://etcd.eu:2379", "http://10.2.0.1:2379"});
  CHECK(c.datacenters[1].etcd_prefix == "beacon/");
  CHECK(c.datacenters[2].etcd_prefix == "other/");
  // Inline-table form of the same array.
  // (Root keys come before the [store] header.)
  Config inline_form = load_ok("datacenters = [{ name = \"dc9\", etcd_endpoints = [\"http://b:2\"] }]\n" +
                               etcd_store(R"(["http://a:1"])"));
  REQUIRE(inline_form.datacenters.size() == 1);
  CHECK(inline_form.datacenters[0].name == "dc9");
}

TEST_CASE("[store] merges key by key and [[datacenters]] accumulate across files",
          "[config][store][merge]") {
  TempDir dir;
  std::string ca = dir.write("ca.pem", "ca");
  auto a = dir.write("a.toml", R"(datacenter = "dc1"
[store]
etcd_endpoints = ["https://a:2379", "https://b:2379"]
etcd_prefix = "first/"
ca_file = ")" + ca + R"("
lease_ttl = "20s"

[[datacenters]]
name = "dc2"
etcd_endpoints = ["http://dc2:2379"]
)");
  auto b = dir.write("b.toml", R"([store]
backend = "etcd"
etcd_endpoints = ["https://c:2379"]
request_timeout = "5s"

[[datacenters]]
name = "dc3"
etcd_endpoints = ["http://dc3:2379"]
)");
  auto got = load_files({a, b});
  if (!got) FAIL(got.error().message);
  const StoreConfig& s = got->store;
  CHECK(s.backend == "etcd");                          // from b
  CHECK(s.etcd_endpoints == Strings{"https://c:2379"});  // arrays are replaced whole
  CHECK(s.etcd_prefix == "first/");                    // kept from a
  CHECK(s.ca_file == ca);
  CHECK(s.lease_ttl == 20s);
  CHECK(s.request_timeout == 5s);
  REQUIRE(got->datacenters.size() == 2);
  CHECK(got->datacenters[0].name == "dc2");
  CHECK(got->datacenters[1].name == "dc3");

  // An explicit "" clears an earlier file's TLS file or credential.
  auto clear = dir.write("c.toml", "[store]\nca_file = \"\"\nusername = \"\"\npassword = \"\"\n");
  auto with_creds = dir.write("d.toml", "[store]\nusername = \"u\"\npassword = \"p\"\n");
  auto cleared = load_files({a, b, with_creds, clear});
  if (!cleared) FAIL(cleared.error().message);
  CHECK(cleared->store.ca_file.empty());
  CHECK(cleared->store.username.empty());
  CHECK(cleared->store.password.empty());
  CHECK(cleared->store.etcd_prefix == "first/");
}

TEST_CASE("cross-key store rules are checked on the merged files", "[config][store][merge]") {
  TempDir dir;
  // Endpoints in one file, the backend in another: fine.
  auto endpoints = dir.write("1.toml", "[store]\netcd_endpoints = [\"http://a:1\"]\n");
  auto backend = dir.write("2.toml", "[store]\nbackend = \"etcd\"\n");
  CHECK(load_files({endpoints, backend}).has_value());
  CHECK(load_files({backend, endpoints}).has_value());

  // Only the username in one file, only the password in another: fine once merged.
  auto user = dir.write("u.toml", "[store]\nusername = \"u\"\n");
  auto pass = dir.write("p.toml", "[store]\npassword = \"hunter2-S3cr3t\"\n");
  CHECK(load_files({user, pass}).has_value());
  auto missing = load_files({user});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message ==
        user + ":2:12: store.username: needs store.password too (give both or neither)");

  // A later file shortening lease_ttl below an earlier request_timeout: reported at the
  // request_timeout that was set.
  auto timeout = dir.write("t.toml", "[store]\nrequest_timeout = \"8s\"\n");
  auto lease = dir.write("l.toml", "[store]\nlease_ttl = \"5s\"\n");
  auto got = load_files({timeout, lease});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message == timeout + ":2:19: store.request_timeout: must be shorter than store.lease_ttl (5s)");

  // A later file switching back to embedded leaves datacenters without a backend to follow them.
  auto dcs = dir.write("dc.toml", etcd_store(R"(["http://a:1"])",
                                            "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://b:1\"]\n"));
  auto embedded = dir.write("e.toml", "[store]\nbackend = \"embedded\"\n");
  auto off = load_files({dcs, embedded});
  REQUIRE_FALSE(off.has_value());
  CHECK(off.error().message == dcs + ":4:1: datacenters[0]: needs store.backend = \"etcd\" (the embedded "
                                     "store cannot follow other datacenters)");

  // The agent's datacenter set in a later file still counts.
  auto own = dir.write("own.toml", "datacenter = \"DC2\"\n");
  auto clash = load_files({dcs, own});
  REQUIRE_FALSE(clash.has_value());
  CHECK(clash.error().message == dcs + ":5:8: datacenters[0].name: \"dc2\" is this agent's own datacenter");

  // Duplicates across files: indexes count within each file; the first definition is quoted.
  auto again = dir.write("again.toml", "[[datacenters]]\nname = \"x\"\netcd_endpoints = [\"http://c:1\"]\n"
                                       "[[datacenters]]\nname = \"Dc2\"\netcd_endpoints = [\"http://d:1\"]\n");
  auto dup = load_files({dcs, again});
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().message == again + ":5:8: datacenters[1].name: duplicate datacenter \"dc2\" (first defined at " +
                                   dcs + ":5:8)");
}

TEST_CASE("[store] errors name the key at its file:line:col", "[config][store][errors]") {
  struct Case {
    std::string toml;
    std::string want;
  };
  const Case cases[] = {
      // Table shape and unknown keys.
      {"store = 1\n", "s.toml:1:9: store: expected a table, got an integer"},
      {"store = []\n", "s.toml:1:9: store: expected a table, got an array"},
      {"[store]\nbogus = 1\n", "s.toml:2:1: store.bogus: unknown key"},
      {"[store]\nbackend = \"etcd\"\n  endpoints = [\"http://a:1\"]\n", "s.toml:3:3: store.endpoints: unknown key"},
      {"[store]\ndatacenters = []\n", "s.toml:2:1: store.datacenters: unknown key"},
      // backend.
      {"[store]\nbackend = \"sqlite\"\n", "s.toml:2:11: store.backend: \"sqlite\" is not one of embedded, etcd"},
      {"[store]\nbackend = \"ETCD\"\n", "s.toml:2:11: store.backend: \"ETCD\" is not one of embedded, etcd"},
      {"[store]\nbackend = \"\"\n", "s.toml:2:11: store.backend: \"\" is not one of embedded, etcd"},
      {"[store]\nbackend = true\n", "s.toml:2:11: store.backend: expected a string, got a boolean"},
      {"[store]\nbackend = \"etcd\"\n",
       "s.toml:2:11: store.etcd_endpoints: is required when store.backend is \"etcd\""},
      {"[store]\nbackend = \"etcd\"\netcd_endpoints = []\n",
       "s.toml:3:18: store.etcd_endpoints: must not be empty when store.backend is \"etcd\""},
      // etcd_endpoints: types.
      {"[store]\netcd_endpoints = \"http://a:1\"\n",
       "s.toml:2:18: store.etcd_endpoints: expected an array of strings, got a string"},
      {"[store]\netcd_endpoints = [\"http://a:1\", 2379]\n",
       "s.toml:2:33: store.etcd_endpoints[1]: expected a string, got an integer"},
      // etcd_prefix.
      {"[store]\netcd_prefix = \"\"\n", "s.toml:2:15: store.etcd_prefix: must not be empty"},
      {"[store]\netcd_prefix = \"beacon\"\n", "s.toml:2:15: store.etcd_prefix: must end with '/'"},
      {"[store]\netcd_prefix = \"/beacon/\"\n", "s.toml:2:15: store.etcd_prefix: must not start with '/'"},
      {"[store]\netcd_prefix = \"/\"\n", "s.toml:2:15: store.etcd_prefix: must not start with '/'"},
      {"[store]\netcd_prefix = \"bea con/\"\n",
       "s.toml:2:15: store.etcd_prefix: must not hold whitespace or control characters"},
      {"[store]\netcd_prefix = \"beacon/\\t\"\n",
       "s.toml:2:15: store.etcd_prefix: must not hold whitespace or control characters"},
      {"[store]\netcd_prefix = \"a\\nb/\"\n",
       "s.toml:2:15: store.etcd_prefix: must not hold whitespace or control characters"},
      {"[store]\netcd_prefix = \"a\\u0001/\"\n",
       "s.toml:2:15: store.etcd_prefix: must not hold whitespace or control characters"},
      {"[store]\netcd_prefix = \"a\\u007f/\"\n",
       "s.toml:2:15: store.etcd_prefix: must not hold whitespace or control characters"},
      {"[store]\netcd_prefix = 1\n", "s.toml:2:15: store.etcd_prefix: expected a string, got an integer"},
      // Credentials and TLS files: types, pairs.
      {"[store]\nusername = 1\n", "s.toml:2:12: store.username: expected a string, got an integer"},
      {"[store]\npassword = 1\n", "s.toml:2:12: store.password: expected a string, got an integer"},
      {"[store]\nca_file = [\"a\"]\n", "s.toml:2:11: store.ca_file: expected a string, got an array"},
      {"[store]\nusername = \"beacon\"\n",
       "s.toml:2:12: store.username: needs store.password too (give both or neither)"},
      {"[store]\npassword = \"hunter2-S3cr3t\"\n",
       "s.toml:2:12: store.password: needs store.username too (give both or neither)"},
      // Durations.
      {"[store]\nlease_ttl = \"1s\"\n", "s.toml:2:13: store.lease_ttl: must be at least 2s"},
      {"[store]\nlease_ttl = \"1999ms\"\n", "s.toml:2:13: store.lease_ttl: must be at least 2s"},
      {"[store]\nlease_ttl = \"0\"\n", "s.toml:2:13: store.lease_ttl: must be at least 2s"},
      {"[store]\nlease_ttl = \"1h0m1s\"\n", "s.toml:2:13: store.lease_ttl: must be at most 1h"},
      {"[store]\nlease_ttl = \"2h\"\n", "s.toml:2:13: store.lease_ttl: must be at most 1h"},
      {"[store]\nlease_ttl = \"10\"\n", "s.toml:2:13: store.lease_ttl: missing unit in duration \"10\""},
      {"[store]\nlease_ttl = \"-5s\"\n", "s.toml:2:13: store.lease_ttl: negative value in duration \"-5s\""},
      {"[store]\nlease_ttl = 10\n",
       "s.toml:2:13: store.lease_ttl: expected a duration string such as \"10s\", got an integer"},
      {"[store]\nrequest_timeout = \"99ms\"\n", "s.toml:2:19: store.request_timeout: must be at least 100ms"},
      {"[store]\nrequest_timeout = \"0s\"\n", "s.toml:2:19: store.request_timeout: must be at least 100ms"},
      {"[store]\nrequest_timeout = \"60001ms\"\n", "s.toml:2:19: store.request_timeout: must be at most 60s"},
      {"[store]\nrequest_timeout = \"1m1s\"\n", "s.toml:2:19: store.request_timeout: must be at most 60s"},
      {"[store]\nrequest_timeout = 3\n",
       "s.toml:2:19: store.request_timeout: expected a duration string such as \"10s\", got an integer"},
      // request_timeout must be shorter than lease_ttl, reported at the one set.
      {"[store]\nrequest_timeout = \"10s\"\n",
       "s.toml:2:19: store.request_timeout: must be shorter than store.lease_ttl (10s)"},
      {"[store]\nlease_ttl = \"3s\"\n",
       "s.toml:2:13: store.lease_ttl: must be longer than store.request_timeout (3s)"},
      {"[store]\nlease_ttl = \"2s\"\n",
       "s.toml:2:13: store.lease_ttl: must be longer than store.request_timeout (3s)"},
      {"[store]\nlease_ttl = \"1m\"\nrequest_timeout = \"60s\"\n",
       "s.toml:3:19: store.request_timeout: must be shorter than store.lease_ttl (1m)"},
      {"[store]\nrequest_timeout = \"2500ms\"\nlease_ttl = \"2s\"\n",
       "s.toml:2:19: store.request_timeout: must be shorter than store.lease_ttl (2s)"},
      {"[store]\nlease_ttl = \"2.5s\"\nrequest_timeout = \"2.5s\"\n",
       "s.toml:3:19: store.request_timeout: must be shorter than store.lease_ttl (2500ms)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.toml);
    CHECK(load_error(c.toml) == c.want);
  }
}

TEST_CASE("bad etcd endpoints are reported at the element", "[config][store][errors]") {
  const std::string form = "must be \"http://HOST:PORT\" or \"https://HOST:PORT\"";
  struct Case {
    const char* endpoint;
    std::string reason;
  };
  const Case cases[] = {
      {"127.0.0.1:2379", form},
      {"etcd", form},
      {"", form},
      {"ftp://etcd:2379", form},
      {"unix://etcd:2379", form},
      {" http://etcd:2379", form},
      {"http//etcd:2379", form},
      {"http://etcd", form + " (the port is required)"},
      {"http://etcd/", form + " (the port is required)"},
      {"http://[::1]", form + " (the port is required)"},
      {"http://[::1]2379", form + " (the port is required)"},
      {"http://", form + " (the port is required)"},
      {"http://:2379", form + " (the host is missing)"},
      {"http://[]:2379", form + " (the host is missing)"},
      {"http://etcd:", "port must be 1..65535"},
      {"http://etcd:0", "port must be 1..65535"},
      {"http://etcd:65536", "port must be 1..65535"},
      {"http://etcd:99999999", "port must be 1..65535"},
      {"http://etcd:-1", "port must be 1..65535"},
      {"http://etcd:+1", "port must be 1..65535"},
      {"http://etcd:23a", "port must be 1..65535"},
      {"http://etcd: 2379", "port must be 1..65535"},
      {"http://etcd:2379/v3", "nothing may follow the port but one '/'"},
      {"http://etcd:2379//", "nothing may follow the port but one '/'"},
      {"http://etcd:2379?x=1", "nothing may follow the port but one '/'"},
      {"http://etcd:2379/?x=1", "nothing may follow the port but one '/'"},
      {"http://etcd:2379#top", "nothing may follow the port but one '/'"},
      {"http://user:pw@etcd:2379", "must not hold user info (\"user:password@\")"},
      {"http://@etcd:2379", "must not hold user info (\"user:password@\")"},
      {"http://[::1:2379", "an IPv6 host is written \"[addr]:port\""},
      {"http://::1:2379", "write an IPv6 host as \"[addr]:port\""},
      {"http://[10.0.0.1]:2379", "\"10.0.0.1\" is not an IPv6 address"},
      {"http://[fe80::1%eth0]:2379", "\"fe80::1%eth0\" is not an IPv6 address"},
      {"http://[etcd]:2379", "\"etcd\" is not an IPv6 address"},
      {"http://10.0.0.256:2379", "\"10.0.0.256\" is not an IP address or host name"},
      {"http://10.0.0:2379", "\"10.0.0\" is not an IP address or host name"},
      {"http://etcd_1:2379", "\"etcd_1\" is not an IP address or host name"},
      {"http://-etcd:2379", "\"-etcd\" is not an IP address or host name"},
      {"http://etcd-.example:2379", "\"etcd-.example\" is not an IP address or host name"},
      {"http://etcd..example:2379", "\"etcd..example\" is not an IP address or host name"},
      {"http://.etcd:2379", "\".etcd\" is not an IP address or host name"},
      {"http://etcd.:2379", "\"etcd.\" is not an IP address or host name"},
      {"http://et cd:2379", "\"et cd\" is not an IP address or host name"},
      {"http://\xC3\xA9tcd:2379", "\"\xC3\xA9tcd\" is not an IP address or host name"},
      {"http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:2379",
       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not an IP address or host "
       "name"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.endpoint);
    // Second element, so the position and index are those of the element.
    std::string toml = "[store]\netcd_endpoints = [\"http://ok:1\", \"" + std::string(c.endpoint) + "\"]\n";
    CHECK(load_error(toml) == "s.toml:2:34: store.etcd_endpoints[1]: " + c.reason);
    std::string dc = etcd_store(R"(["http://ok:1"])", "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"" +
                                                          std::string(c.endpoint) + "\"]\n");
    CHECK(load_error(dc) == "s.toml:6:19: datacenters[0].etcd_endpoints[0]: " + c.reason);
  }
  // A user-info password is not echoed.
  CHECK_THAT(load_error("[store]\netcd_endpoints = [\"http://beacon:T0p-s3cret@etcd:2379\"]\n"),
             !Catch::Contains("T0p-s3cret"));
  // A 253-character host name is fine, 255 is not.
  std::string label(63, 'a');
  std::string long_name = label + "." + label + "." + label + "." + std::string(61, 'b');  // 253
  CHECK(load_ok("[store]\netcd_endpoints = [\"http://" + long_name + ":1\"]\n").store.etcd_endpoints ==
        Strings{"http://" + long_name + ":1"});
  CHECK_THAT(load_error("[store]\netcd_endpoints = [\"http://" + long_name + "cc:1\"]\n"),
             Catch::EndsWith("is not an IP address or host name"));
}

TEST_CASE("duplicate etcd endpoints are errors after normalising", "[config][store][errors]") {
  CHECK(load_error("[store]\netcd_endpoints = [\"http://a:1\", \"http://b:1\", \"http://a:1\"]\n") ==
        "s.toml:2:47: store.etcd_endpoints[2]: duplicate endpoint \"http://a:1\" (first defined at s.toml:2:19)");
  CHECK(load_error("[store]\netcd_endpoints = [\n  \"HTTP://Etcd:02379/\",\n  \"http://etcd:2379\",\n]\n") ==
        "s.toml:4:3: store.etcd_endpoints[1]: duplicate endpoint \"http://etcd:2379\" (first defined at "
        "s.toml:3:3)");
  CHECK(load_error("[store]\netcd_endpoints = [\"http://[::1]:1\", \"http://[0::1]:1\"]\n") ==
        "s.toml:2:37: store.etcd_endpoints[1]: duplicate endpoint \"http://[::1]:1\" (first defined at s.toml:2:19)");
  // http and https to the same host:port are different endpoints.
  CHECK(load_ok("[store]\netcd_endpoints = [\"http://a:1\", \"https://a:1\"]\n").store.etcd_endpoints.size() == 2);
  CHECK(load_error(etcd_store(R"(["http://a:1"])",
                              "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://x:1\", \"http://x:1/\"]\n")) ==
        "s.toml:6:33: datacenters[0].etcd_endpoints[1]: duplicate endpoint \"http://x:1\" (first defined at "
        "s.toml:6:19)");
}

TEST_CASE("TLS files must be readable, paired and used with https", "[config][store][errors]") {
  TempDir dir;
  std::string ca = dir.write("ca.pem", "ca");
  std::string cert = dir.write("c.pem", "c");
  std::string key = dir.write("k.pem", "k");
  std::string missing = dir.file("missing.pem");
  std::string folder = dir.path().string();
  const std::string https = R"(["https://etcd:2379"])";
  struct Case {
    std::string toml;
    std::string want;
  };
  const Case cases[] = {
      {etcd_store(https, "ca_file = \"" + missing + "\"\n"),
       "s.toml:4:11: store.ca_file: cannot read " + missing + ": No such file or directory"},
      {etcd_store(https, "cert_file = \"" + missing + "\"\nkey_file = \"" + key + "\"\n"),
       "s.toml:4:13: store.cert_file: cannot read " + missing + ": No such file or directory"},
      {etcd_store(https, "cert_file = \"" + cert + "\"\nkey_file = \"" + folder + "\"\n"),
       "s.toml:5:12: store.key_file: cannot read " + folder + ": is a directory"},
      {"[store]\nca_file = \"" + missing + "\"\n",  // checked whatever the backend
       "s.toml:2:11: store.ca_file: cannot read " + missing + ": No such file or directory"},
      {etcd_store(https, "cert_file = \"" + cert + "\"\n"),
       "s.toml:4:13: store.cert_file: needs store.key_file too (give both or neither)"},
      {etcd_store(https, "ca_file = \"" + ca + "\"\nkey_file = \"" + key + "\"\n"),
       "s.toml:5:12: store.key_file: needs store.cert_file too (give both or neither)"},
      {etcd_store(R"(["http://etcd:2379"])", "ca_file = \"" + ca + "\"\n"),
       "s.toml:4:11: store.ca_file: TLS files need an https:// endpoint in store.etcd_endpoints"},
      {etcd_store(R"(["http://a:1", "http://b:2"])", "cert_file = \"" + cert + "\"\nkey_file = \"" + key + "\"\n"),
       "s.toml:4:13: store.cert_file: TLS files need an https:// endpoint in store.etcd_endpoints"},
      {"[store]\nkey_file = \"" + key + "\"\ncert_file = \"" + cert + "\"\n",
       "s.toml:3:13: store.cert_file: TLS files need an https:// endpoint in store.etcd_endpoints"},
      {"[store]\nca_file = \"" + ca + "\"\n",
       "s.toml:2:11: store.ca_file: TLS files need an https:// endpoint in store.etcd_endpoints"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.toml);
    CHECK(load_error(c.toml) == c.want);
  }
}

TEST_CASE("[[datacenters]] errors", "[config][store][errors]") {
  const std::string store = etcd_store(R"(["http://127.0.0.1:2379"])");  // 3 lines
  struct Case {
    std::string toml;
    std::string want;
  };
  const Case cases[] = {
      // Shape.
      {"datacenters = 1\n" + store, "s.toml:1:15: datacenters: expected an array, got an integer"},
      {"datacenters = [1]\n" + store, "s.toml:1:16: datacenters[0]: expected a table, got an integer"},
      {store + "[datacenters]\nname = \"dc2\"\n", "s.toml:4:1: datacenters: expected an array, got a table"},
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\nbackend = \"etcd\"\n",
       "s.toml:7:1: datacenters[0].backend: unknown key"},
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\npassword = \"x\"\n",
       "s.toml:7:1: datacenters[0].password: unknown key"},
      // name.
      {store + "[[datacenters]]\netcd_endpoints = [\"http://a:1\"]\n", "s.toml:4:1: datacenters[0].name: is required"},
      {store + "[[datacenters]]\nname = \"\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:5:8: datacenters[0].name: \"\" must be 1..63 characters of [A-Za-z0-9-]"},
      {store + "[[datacenters]]\nname = \"dc_2\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:5:8: datacenters[0].name: \"dc_2\" must be 1..63 characters of [A-Za-z0-9-]"},
      {store + "[[datacenters]]\nname = \"dc2.example\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:5:8: datacenters[0].name: \"dc2.example\" must be 1..63 characters of [A-Za-z0-9-]"},
      {store + "[[datacenters]]\nname = \"" + std::string(64, 'd') + "\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:5:8: datacenters[0].name: \"" + std::string(64, 'd') + "\" must be 1..63 characters of [A-Za-z0-9-]"},
      {store + "[[datacenters]]\nname = 2\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:5:8: datacenters[0].name: expected a string, got an integer"},
      {store + "[[datacenters]]\nname = \"DC1\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:5:8: datacenters[0].name: \"dc1\" is this agent's own datacenter"},
      {"datacenter = \"East\"\n" + store + "[[datacenters]]\nname = \"east\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:6:8: datacenters[0].name: \"east\" is this agent's own datacenter"},
      {store +
           "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\n"
           "[[datacenters]]\nname = \"dc3\"\netcd_endpoints = [\"http://b:1\"]\n"
           "[[datacenters]]\nname = \"DC2\"\netcd_endpoints = [\"http://c:1\"]\n",
       "s.toml:11:8: datacenters[2].name: duplicate datacenter \"dc2\" (first defined at s.toml:5:8)"},
      // etcd_endpoints.
      {store + "[[datacenters]]\nname = \"dc2\"\n", "s.toml:4:1: datacenters[0].etcd_endpoints: is required"},
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = []\n",
       "s.toml:6:18: datacenters[0].etcd_endpoints: must not be empty"},
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = \"http://a:1\"\n",
       "s.toml:6:18: datacenters[0].etcd_endpoints: expected an array of strings, got a string"},
      // etcd_prefix.
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\netcd_prefix = \"beacon\"\n",
       "s.toml:7:15: datacenters[0].etcd_prefix: must end with '/'"},
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\netcd_prefix = \"/b/\"\n",
       "s.toml:7:15: datacenters[0].etcd_prefix: must not start with '/'"},
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\netcd_prefix = \"\"\n",
       "s.toml:7:15: datacenters[0].etcd_prefix: must not be empty"},
      {store + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\netcd_prefix = \"b /\"\n",
       "s.toml:7:15: datacenters[0].etcd_prefix: must not hold whitespace or control characters"},
      // Only with the etcd backend.
      {"[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:1:1: datacenters[0]: needs store.backend = \"etcd\" (the embedded store cannot follow other "
       "datacenters)"},
      {"[store]\nbackend = \"embedded\"\n\n[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\n",
       "s.toml:4:1: datacenters[0]: needs store.backend = \"etcd\" (the embedded store cannot follow other "
       "datacenters)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.toml);
    CHECK(load_error(c.toml) == c.want);
  }
}

TEST_CASE("the etcd password never appears in an error message", "[config][store][errors]") {
  const std::string secret = "Pa55-w0rd-XYZZY";
  TempDir dir;
  std::string ca = dir.write("ca.pem", "ca");
  const std::string pw = "password = \"" + secret + "\"\n";
  const std::string tomls[] = {
      "[store]\n" + pw,                                            // no username
      "[store]\n" + pw + "username = \"\"\n",                     // username cleared
      "[store]\nusername = \"u\"\n" + pw + "backend = \"etcd\"\n",  // no endpoints
      "[store]\nusername = \"u\"\n" + pw + "etcd_endpoints = [\"http://u:" + secret + "@etcd:1\"]\n",
      "[store]\nusername = \"u\"\n" + pw + "ca_file = \"" + ca + "\"\n",
      "[store]\nusername = \"u\"\n" + pw + "lease_ttl = \"1s\"\n",
      "[store]\nusername = \"u\"\n" + pw + "request_timeout = \"10s\"\n",
      "[store]\nusername = \"u\"\n" + pw + "bogus = 1\n",
      "[store]\nusername = \"u\"\n" + pw + "password = \"again\"\n",  // TOML redefinition
      "[store]\nusername = \"u\"\npassword = \"" + secret + "\n",       // unterminated string
      "[store]\nusername = \"u\"\npassword = \"" + secret + "\\q\"\n",  // bad escape
      "[store]\nusername = \"u\"\npassword = \"" + secret + "\" trailing\n",
      "[store]\nusername = \"u\"\npassword = " + secret + "\n",  // unquoted
      "[store]\nusername = \"u\"\n" + pw + "[[datacenters]]\nname = \"dc2\"\netcd_endpoints = [\"http://a:1\"]\n",
  };
  for (const std::string& toml : tomls) {
    CAPTURE(toml);
    std::string message = load_error(toml);
    CHECK_THAT(message, !Catch::Contains(secret));
    CHECK_THAT(message, !Catch::Contains("Pa55"));
  }
  // Nor through files.
  auto file = dir.write("creds.toml", "[store]\n" + pw);
  auto got = load_files({file});
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message == file + ":2:12: store.password: needs store.username too (give both or neither)");
}

TEST_CASE("normalize_etcd_endpoint, check_etcd_prefix, normalize_datacenter",
          "[config][store][validate]") {
  CHECK(normalize_etcd_endpoint("HTTP://[::1]:2379/").value() == "http://[::1]:2379");
  CHECK_FALSE(normalize_etcd_endpoint("http://a:1/x").has_value());
  CHECK(check_etcd_prefix("beacon/").has_value());
  CHECK_FALSE(check_etcd_prefix("beacon").has_value());
  CHECK(normalize_datacenter("East-1").value() == "east-1");
  CHECK(normalize_datacenter("dc.1").error() == "\"dc.1\" must be 1..63 characters of [A-Za-z0-9-]");
}

}  // namespace
}  // namespace beacon::config
