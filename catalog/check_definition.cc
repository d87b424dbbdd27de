// Check definitions as Consul JSON (catalog/check_definition.h).
//
// Keys are matched as Go's encoding/json and mapstructure match them in Consul: without
// regard to case, and here also without underscores, so "TLSSkipVerify", "tls_skip_verify"
// and "tlsSkipVerify" are one key. Unknown keys are ignored because Consul clients send
// whole structs (ServiceID, Definition, Namespace, ...); the check kinds this agent cannot
// run are refused instead of being silently ignored. nlohmann exceptions never leave this
// file: parsing runs without exceptions and every type test is explicit.
#include "catalog/check_definition.h"

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "base/address.h"
#include "base/duration.h"
#include "base/json_bounds.h"
#include "config/config.h"

namespace beacon::catalog {
namespace {

using nlohmann::json;
using config::CheckConfig;
using config::Duration;

constexpr Duration kMinInterval{1000};

std::unexpected<Error> invalid(std::string message) {
  return std::unexpected(Error{Error::Code::invalid, std::move(message)});
}

// "TLSSkipVerify" and "tls_skip_verify" both become "tlsskipverify".
std::string fold_key(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '_' || c == '-') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

// Go's time.Duration formatting is not needed to round-trip: whole seconds as "10s", the
// rest as milliseconds ("1500ms"), both of which parse_duration reads back exactly.
std::string format_duration(Duration d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

const char* kind_key(CheckConfig::Kind kind) {
  switch (kind) {
    case CheckConfig::Kind::http: return "HTTP";
    case CheckConfig::Kind::tcp: return "TCP";
    case CheckConfig::Kind::udp: return "UDP";
    case CheckConfig::Kind::ttl: return "TTL";
    case CheckConfig::Kind::script: return "Args";
    case CheckConfig::Kind::grpc: return "GRPC";
  }
  return "TTL";
}

bool is_unset(const json& v) { return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()); }

std::expected<std::string, Error> read_string(const json& v, std::string_view key) {
  if (v.is_null()) return std::string();
  if (!v.is_string()) return invalid(std::string(key) + " must be a string");
  return v.get<std::string>();
}

std::expected<bool, Error> read_bool(const json& v, std::string_view key) {
  if (v.is_null()) return false;
  if (!v.is_boolean()) return invalid(std::string(key) + " must be true or false");
  return v.get<bool>();
}

std::expected<uint32_t, Error> read_count(const json& v, std::string_view key) {
  if (v.is_null()) return 0u;
  if (v.is_number_unsigned() && v.get<uint64_t>() <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0 &&
      v.get<int64_t>() <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(v.get<int64_t>());
  }
  return invalid(std::string(key) + " must be a non-negative integer");
}

// A Consul duration string ("10s") or an integer of nanoseconds, as Consul's API takes both.
std::expected<Duration, Error> read_duration(const json& v, std::string_view key) {
  if (is_unset(v)) return Duration{0};
  if (v.is_string()) {
    auto d = base::parse_duration(v.get_ref<const std::string&>());
    if (!d) return invalid(std::string(key) + ": " + d.error());
    return *d;
  }
  if (v.is_number_unsigned()) return Duration{static_cast<int64_t>(v.get<uint64_t>() / 1'000'000)};
  if (v.is_number_integer()) {
    if (v.get<int64_t>() < 0) return invalid(std::string(key) + " must not be negative");
    return Duration{v.get<int64_t>() / 1'000'000};
  }
  return invalid(std::string(key) + " must be a duration string such as \"10s\" or an integer of nanoseconds");
}

std::expected<std::vector<std::string>, Error> read_strings(const json& v, std::string_view key) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (!v.is_array()) return invalid(std::string(key) + " must be a list of strings");
  for (const json& item : v) {
    if (!item.is_string()) return invalid(std::string(key) + " must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::expected<std::map<std::string, std::vector<std::string>>, Error> read_header(const json& v) {
  std::map<std::string, std::vector<std::string>> out;
  if (v.is_null()) return out;
  if (!v.is_object()) return invalid("Header must be an object of header name to list of values");
  for (const auto& [name, values] : v.items()) {
    auto list = read_strings(values, "Header \"" + name + "\"");
    if (!list) return std::unexpected(list.error());
    out[name] = std::move(*list);
  }
  return out;
}

// Accumulates the kind-deciding keys seen, so that "exactly one" can be reported.
struct Targets {
  int count = 0;
  void set(CheckConfig& def, CheckConfig::Kind kind) {
    ++count;
    def.kind = kind;
  }
};

std::expected<void, Error> check_target(std::string_view key, const std::string& value, bool allow_path) {
  if (auto ok = base::check_host_port(value, allow_path); !ok) {
    return invalid(std::string(key) + " \"" + value + "\": " + ok.error());
  }
  return {};
}

// Applies one key of the object to `def`. Unknown keys are ignored.
std::expected<void, Error> apply(CheckConfig& def, Targets& targets, bool& have_method,
                                 const std::string& folded, const json& v) {
  auto str_into = [&](std::string& out, std::string_view key) -> std::expected<void, Error> {
    auto s = read_string(v, key);
    if (!s) return std::unexpected(s.error());
    out = std::move(*s);
    return {};
  };
  auto count_into = [&](uint32_t& out, std::string_view key) -> std::expected<void, Error> {
    auto n = read_count(v, key);
    if (!n) return std::unexpected(n.error());
    out = *n;
    return {};
  };
  auto duration_into = [&](Duration& out, std::string_view key) -> std::expected<void, Error> {
    auto d = read_duration(v, key);
    if (!d) return std::unexpected(d.error());
    out = *d;
    return {};
  };

  if (folded == "id" || folded == "checkid") {
    std::string id;
    if (auto ok = str_into(id, "ID"); !ok) return ok;
    if (!id.empty()) def.id = std::move(id);
    return {};
  }
  if (folded == "name") return str_into(def.name, "Name");
  if (folded == "notes") return str_into(def.notes, "Notes");
  if (folded == "http") {
    if (auto ok = str_into(def.http, "HTTP"); !ok) return ok;
    if (def.http.empty()) return {};
    if (!def.http.starts_with("http://") && !def.http.starts_with("https://")) {
      return invalid("HTTP \"" + def.http + "\" must be an http:// or https:// URL");
    }
    targets.set(def, CheckConfig::Kind::http);
    return {};
  }
  if (folded == "method") {
    if (auto ok = str_into(def.method, "Method"); !ok) return ok;
    have_method = !def.method.empty();
    return {};
  }
  if (folded == "header") {
    auto h = read_header(v);
    if (!h) return std::unexpected(h.error());
    def.header = std::move(*h);
    return {};
  }
  if (folded == "body") return str_into(def.body, "Body");
  if (folded == "tlsskipverify") {
    auto b = read_bool(v, "TLSSkipVerify");
    if (!b) return std::unexpected(b.error());
    def.tls_skip_verify = *b;
    return {};
  }
  if (folded == "tcp" || folded == "udp" || folded == "grpc") {
    bool grpc = folded == "grpc";
    std::string& out = folded == "tcp" ? def.tcp : folded == "udp" ? def.udp : def.grpc;
    const char* key = folded == "tcp" ? "TCP" : folded == "udp" ? "UDP" : "GRPC";
    if (auto ok = str_into(out, key); !ok) return ok;
    if (out.empty()) return {};
    if (auto ok = check_target(key, out, grpc); !ok) return ok;
    targets.set(def, folded == "tcp"   ? CheckConfig::Kind::tcp
                     : folded == "udp" ? CheckConfig::Kind::udp
                                       : CheckConfig::Kind::grpc);
    return {};
  }
  if (folded == "tlsservername") return str_into(def.tls_server_name, "TLSServerName");
  if (folded == "grpcusetls") {
    auto b = read_bool(v, "GRPCUseTLS");
    if (!b) return std::unexpected(b.error());
    def.grpc_use_tls = *b;
    return {};
  }
  if (folded == "args" || folded == "scriptargs") {
    auto list = read_strings(v, "Args");
    if (!list) return std::unexpected(list.error());
    if (list->empty()) return {};
    if (list->front().empty()) return invalid("Args must start with a program name");
    def.args = std::move(*list);
    targets.set(def, CheckConfig::Kind::script);
    return {};
  }
  if (folded == "ttl") {
    if (auto ok = duration_into(def.ttl, "TTL"); !ok) return ok;
    if (def.ttl.count() > 0) targets.set(def, CheckConfig::Kind::ttl);
    return {};
  }
  if (folded == "interval") return duration_into(def.interval, "Interval");
  if (folded == "timeout") return duration_into(def.timeout, "Timeout");
  if (folded == "status") {
    std::string status;
    if (auto ok = str_into(status, "Status"); !ok) return ok;
    if (status.empty()) return {};
    if (status != "passing" && status != "warning" && status != "critical") {
      return invalid("unknown Status \"" + status + "\": must be passing, warning or critical");
    }
    def.status = std::move(status);
    return {};
  }
  if (folded == "successbeforepassing") return count_into(def.success_before_passing, "SuccessBeforePassing");
  if (folded == "failuresbeforewarning") return count_into(def.failures_before_warning, "FailuresBeforeWarning");
  if (folded == "failuresbeforecritical") return count_into(def.failures_before_critical, "FailuresBeforeCritical");
  if (folded == "deregistercriticalserviceafter") {
    return duration_into(def.deregister_critical_service_after, "DeregisterCriticalServiceAfter");
  }
  // Kinds Consul has and this agent cannot run: refuse rather than register a check that
  // would never leave its initial status.
  static constexpr std::pair<std::string_view, std::string_view> kUnsupported[] = {
      {"dockercontainerid", "DockerContainerID"},
      {"h2ping", "H2PING"},
      {"osservice", "OSService"},
      {"aliasservice", "AliasService"},
      {"aliasnode", "AliasNode"},
  };
  for (const auto& [name, shown] : kUnsupported) {
    if (folded == name && !is_unset(v)) return invalid(std::string(shown) + " checks are not supported");
  }
  return {};
}

}  // namespace

std::string encode_check_definition(const CheckConfig& def) {
  json j = json::object();
  if (!def.id.empty()) j["ID"] = def.id;
  if (!def.name.empty()) j["Name"] = def.name;
  if (!def.notes.empty()) j["Notes"] = def.notes;
  switch (def.kind) {
    case CheckConfig::Kind::http:
      j["HTTP"] = def.http;
      j["Method"] = def.method;
      if (!def.header.empty()) j["Header"] = def.header;
      if (!def.body.empty()) j["Body"] = def.body;
      if (def.tls_skip_verify) j["TLSSkipVerify"] = true;
      break;
    case CheckConfig::Kind::tcp: j["TCP"] = def.tcp; break;
    case CheckConfig::Kind::udp: j["UDP"] = def.udp; break;
    case CheckConfig::Kind::grpc:
      j["GRPC"] = def.grpc;
      if (def.grpc_use_tls) j["GRPCUseTLS"] = true;
      if (def.tls_skip_verify) j["TLSSkipVerify"] = true;
      if (!def.tls_server_name.empty()) j["TLSServerName"] = def.tls_server_name;
      break;
    case CheckConfig::Kind::script: j[kind_key(def.kind)] = def.args; break;
    case CheckConfig::Kind::ttl: j["TTL"] = format_duration(def.ttl); break;
  }
  if (def.interval.count() > 0) j["Interval"] = format_duration(def.interval);
  if (def.timeout.count() > 0) j["Timeout"] = format_duration(def.timeout);
  j["Status"] = def.status;
  if (def.success_before_passing > 0) j["SuccessBeforePassing"] = def.success_before_passing;
  if (def.failures_before_warning > 0) j["FailuresBeforeWarning"] = def.failures_before_warning;
  if (def.failures_before_critical > 0) j["FailuresBeforeCritical"] = def.failures_before_critical;
  if (def.deregister_critical_service_after.count() > 0) {
    j["DeregisterCriticalServiceAfter"] = format_duration(def.deregister_critical_service_after);
  }
  // replace: a name with invalid UTF-8 must not make encoding throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::expected<CheckConfig, Error> decode_check_definition(std::string_view text) {
  if (auto too_big = base::check_json_bounds(text)) return invalid("check definition: " + *too_big);
  json j = base::parse_bounded<json>(text);
  if (j.is_discarded()) return invalid("check definition is not valid JSON");
  if (!j.is_object()) return invalid("check definition must be a JSON object");

  CheckConfig def;
  Targets targets;
  bool have_method = false;
  for (const auto& [key, value] : j.items()) {
    if (auto ok = apply(def, targets, have_method, fold_key(key), value); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (!have_method) def.method = "GET";

  if (targets.count != 1) return invalid("exactly one of HTTP, TCP, UDP, GRPC, TTL or Args must be set");
  if (def.kind != CheckConfig::Kind::ttl) {
    if (def.interval.count() == 0) {
      return invalid(std::string("Interval is required for ") + kind_key(def.kind) + " checks");
    }
    if (def.interval < kMinInterval) return invalid("Interval must be at least 1s");
  }
  if (def.failures_before_warning > def.failures_before_critical) {
    return invalid("FailuresBeforeWarning must not exceed FailuresBeforeCritical");
  }
  return def;
}

}  // namespace beacon::catalog
