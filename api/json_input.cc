// JSON input (api/json_input.h): registration bodies, PascalCase or snake_case.
//
// Decoding throws BadInput inside this file only; each public function catches it and
// returns the reason. nlohmann parses without exceptions.
#include "api/json_input.h"

#include <exception>
#include <nlohmann/json.hpp>

#include "base/address.h"
#include "base/json_bounds.h"
#include "base/meta.h"

namespace beacon::api {
namespace {

using nlohmann::json;

struct BadInput : std::exception {
  explicit BadInput(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
  std::string message;
};

[[noreturn]] void decode_failed(const std::string& why) { throw BadInput("Request decode failed: " + why); }

std::string fold(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '_' || c == '-') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

// The value of the first key of `obj` that folds to `folded`; nullptr when absent or null.
const json* field(const json& obj, std::string_view folded) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (fold(it.key()) == folded) return it->is_null() ? nullptr : &*it;
  }
  return nullptr;
}

json parse_object(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) decode_failed("EOF");
  if (auto too_big = base::check_json_bounds(body)) decode_failed(*too_big);
  json j = base::parse_bounded<json>(body);
  if (j.is_discarded()) decode_failed("invalid JSON");
  if (!j.is_object()) decode_failed("the body must be a JSON object");
  return j;
}

std::string get_string(const json& obj, std::string_view folded, const char* shown) {
  const json* v = field(obj, folded);
  if (!v) return {};
  if (!v->is_string()) decode_failed(std::string(shown) + " must be a string");
  return v->get<std::string>();
}

uint64_t get_uint(const json& v, const char* shown, uint64_t max) {
  if (v.is_number_unsigned() && v.get<uint64_t>() <= max) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0 && static_cast<uint64_t>(v.get<int64_t>()) <= max) {
    return static_cast<uint64_t>(v.get<int64_t>());
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d >= 0 && d <= static_cast<double>(max) && d == static_cast<double>(static_cast<uint64_t>(d))) {
      return static_cast<uint64_t>(d);
    }
  }
  decode_failed(std::string(shown) + " must be an integer from 0 to " + std::to_string(max));
}

std::vector<std::string> get_tags(const json& obj, std::string_view folded, const char* shown) {
  std::vector<std::string> out;
  const json* v = field(obj, folded);
  if (!v) return out;
  if (!v->is_array()) decode_failed(std::string(shown) + " must be a list of strings");
  for (const json& t : *v) {
    if (!t.is_string()) decode_failed(std::string(shown) + " must be a list of strings");
    out.push_back(t.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> get_meta(const json& obj, std::string_view folded, const char* shown) {
  std::map<std::string, std::string> out;
  const json* v = field(obj, folded);
  if (!v) return out;
  if (!v->is_object()) decode_failed(std::string(shown) + " must be an object of strings");
  for (const auto& [k, value] : v->items()) {
    if (!value.is_string()) decode_failed(std::string(shown) + " value of \"" + k + "\" must be a string");
    out[k] = value.get<std::string>();
  }
  if (out.size() > base::kMaxMetaPairs) {
    throw BadInput("Invalid " + std::string(shown) + ": metadata cannot contain more than " +
                   std::to_string(base::kMaxMetaPairs) + " key/value pairs");
  }
  for (const auto& [k, value] : out) {
    if (auto ok = base::check_meta_pair(k, value); !ok) {
      throw BadInput("Invalid " + std::string(shown) + ": Couldn't load metadata pair ('" + k + "', '" + value +
                     "'): " + ok.error());
    }
  }
  return out;
}

void check_address(const std::string& address, const char* what) {
  if (!address.empty() && !base::is_ip_literal(address)) {
    throw BadInput(std::string("Invalid ") + what + " \"" + address + "\": must be an IP address");
  }
}

CheckInput check_input(const json& obj) {
  if (!obj.is_object()) decode_failed("a check must be a JSON object");
  CheckInput c;
  c.json = obj.dump(-1, ' ', false, json::error_handler_t::replace);
  c.id = get_string(obj, "checkid", "CheckID");
  if (c.id.empty()) c.id = get_string(obj, "id", "ID");
  c.name = get_string(obj, "name", "Name");
  c.service_id = get_string(obj, "serviceid", "ServiceID");
  c.notes = get_string(obj, "notes", "Notes");
  c.status = get_string(obj, "status", "Status");
  c.status_given = !c.status.empty();
  c.output = get_string(obj, "output", "Output");
  return c;
}

// "Check" (one object) then "Checks" (a list).
std::vector<CheckInput> checks_of(const json& obj) {
  std::vector<CheckInput> out;
  if (const json* one = field(obj, "check")) out.push_back(check_input(*one));
  if (const json* many = field(obj, "checks")) {
    if (!many->is_array()) decode_failed("Checks must be a list of check objects");
    for (const json& c : *many) out.push_back(check_input(c));
  }
  return out;
}

// Fields beacon accepts and does not use are still type-checked, as Go's decoder does for
// Consul: a registration with a wrong type is refused whole (400 naming the field).
enum class Shape { boolean, string, object, string_object, address_object };

void check_shape(const json& obj, std::string_view folded, const char* shown, Shape shape) {
  const json* v = field(obj, folded);
  if (!v) return;
  switch (shape) {
    case Shape::boolean:
      if (!v->is_boolean()) decode_failed(std::string(shown) + " must be true or false");
      return;
    case Shape::string:
      if (!v->is_string()) decode_failed(std::string(shown) + " must be a string");
      return;
    case Shape::object:
      if (!v->is_object()) decode_failed(std::string(shown) + " must be an object");
      return;
    case Shape::string_object:
      if (!v->is_object()) decode_failed(std::string(shown) + " must be an object of strings");
      for (const auto& [k, value] : v->items()) {
        if (!value.is_string() && !value.is_null())
          decode_failed(std::string(shown) + " value of \"" + k + "\" must be a string");
      }
      return;
    case Shape::address_object:  // map of {Address, Port}, as a service's TaggedAddresses
      if (!v->is_object()) decode_failed(std::string(shown) + " must be an object of {Address, Port}");
      for (const auto& [k, value] : v->items()) {
        if (value.is_null()) continue;
        std::string entry = std::string(shown) + "." + k;
        if (!value.is_object()) decode_failed(entry + " must be an object with Address and Port");
        check_shape(value, "address", (entry + ".Address").c_str(), Shape::string);
        if (const json* port = field(value, "port")) (void)get_uint(*port, (entry + ".Port").c_str(), 65535);
      }
      return;
  }
}

void check_ignored_service_fields(const json& obj) {
  static const struct {
    const char* folded;
    const char* shown;
    Shape shape;
  } kIgnored[] = {
      {"enabletagoverride", "EnableTagOverride", Shape::boolean},
      {"kind", "Kind", Shape::string},
      {"taggedaddresses", "TaggedAddresses", Shape::address_object},
      {"proxy", "Proxy", Shape::object},
      {"connect", "Connect", Shape::object},
      {"namespace", "Namespace", Shape::string},
      {"partition", "Partition", Shape::string},
      {"socketpath", "SocketPath", Shape::string},
      {"locality", "Locality", Shape::object},
      {"token", "Token", Shape::string},
  };
  for (const auto& f : kIgnored) check_shape(obj, f.folded, f.shown, f.shape);
}

// The service fields shared by the agent and catalog shapes. `name_key` is "name" (agent)
// or "service" (catalog, where "Name" is also taken).
catalog::Service service_of(const json& obj, bool catalog_shape) {
  catalog::Service s;
  if (catalog_shape) {
    s.name = get_string(obj, "service", "Service");
    if (s.name.empty()) s.name = get_string(obj, "name", "Name");
  } else {
    s.name = get_string(obj, "name", "Name");
  }
  if (s.name.empty()) throw BadInput("Missing service name");
  check_ignored_service_fields(obj);
  s.id = get_string(obj, "id", "ID");
  if (s.id.empty()) s.id = s.name;
  s.tags = get_tags(obj, "tags", "Tags");
  if (const json* e = field(obj, "enabletagoverride")) s.enable_tag_override = e->is_boolean() && e->get<bool>();
  s.address = get_string(obj, "address", "Address");
  check_address(s.address, "service address");
  if (const json* port = field(obj, "port")) s.port = static_cast<uint16_t>(get_uint(*port, "Port", 65535));
  s.meta = get_meta(obj, "meta", "Service Meta");
  if (const json* w = field(obj, "weights")) {
    if (!w->is_object()) decode_failed("Weights must be an object");
    if (const json* p = field(*w, "passing")) s.weights.passing = static_cast<uint32_t>(get_uint(*p, "Weights.Passing", 65535));
    if (const json* p = field(*w, "warning")) s.weights.warning = static_cast<uint32_t>(get_uint(*p, "Weights.Warning", 65535));
    if (s.weights.passing < 1) throw BadInput("Invalid Weights: Passing must be at least 1");
  }
  if (const json* t = field(obj, "protectthreshold")) {
    if (!t->is_number()) decode_failed("ProtectThreshold must be a number");
    double v = t->get<double>();
    if (!(v >= 0.0 && v <= 1.0)) throw BadInput("Invalid ProtectThreshold: must be between 0 and 1");
    s.protect_threshold = v;
  }
  return s;
}

template <typename F>
auto guarded(F&& f) -> std::expected<decltype(f()), std::string> {
  try {
    return f();
  } catch (const BadInput& e) {
    return std::unexpected(e.message);
  } catch (const json::exception& e) {
    return std::unexpected(std::string("Request decode failed: ") + e.what());
  }
}

}  // namespace

std::expected<ServiceRegistration, std::string> decode_service_registration(std::string_view body) {
  return guarded([&] {
    json j = parse_object(body);
    ServiceRegistration r;
    r.service = service_of(j, false);
    r.checks = checks_of(j);
    return r;
  });
}

std::expected<CheckInput, std::string> decode_check_registration(std::string_view body) {
  return guarded([&] { return check_input(parse_object(body)); });
}

std::expected<CatalogRegistration, std::string> decode_catalog_registration(std::string_view body) {
  return guarded([&] {
    json j = parse_object(body);
    CatalogRegistration r;
    r.node.name = get_string(j, "node", "Node");
    r.node.address = get_string(j, "address", "Address");
    r.node.datacenter = get_string(j, "datacenter", "Datacenter");
    r.node.meta = get_meta(j, "nodemeta", "Node Meta");
    check_shape(j, "taggedaddresses", "TaggedAddresses", Shape::string_object);  // a node's: strings
    check_shape(j, "id", "ID", Shape::string);
    if (const json* skip = field(j, "skipnodeupdate")) {
      if (!skip->is_boolean()) decode_failed("SkipNodeUpdate must be true or false");
      r.skip_node_update = skip->get<bool>();
    }
    if (r.node.name.empty()) throw BadInput("Must provide node");
    if (r.node.address.empty() && !r.skip_node_update) {
      throw BadInput("Must provide address if SkipNodeUpdate is not set");
    }
    check_address(r.node.address, "node address");
    if (const json* svc = field(j, "service")) {
      if (!svc->is_object()) decode_failed("Service must be an object");
      r.service = service_of(*svc, true);
    }
    r.checks = checks_of(j);
    return r;
  });
}

std::expected<CatalogDeregistration, std::string> decode_catalog_deregistration(std::string_view body) {
  return guarded([&] {
    json j = parse_object(body);
    CatalogDeregistration r;
    r.node = get_string(j, "node", "Node");
    r.service_id = get_string(j, "serviceid", "ServiceID");
    r.check_id = get_string(j, "checkid", "CheckID");
    if (r.node.empty()) throw BadInput("Must provide node");
    return r;
  });
}

std::expected<CheckUpdate, std::string> decode_check_update(std::string_view body) {
  return guarded([&] {
    json j = parse_object(body);
    CheckUpdate r;
    std::string status = get_string(j, "status", "Status");
    auto parsed = catalog::parse_health(status);
    if (!parsed) throw BadInput("Invalid check status: '" + status + "'");
    r.status = *parsed;
    r.output = get_string(j, "output", "Output");
    return r;
  });
}

}  // namespace beacon::api
