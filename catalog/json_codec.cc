// JSON values of the catalog keyspace (catalog/keyspace.h): Consul-like PascalCase objects.
//
//   Node    {"Node","Address","Datacenter","Meta"}
//   Service {"ID","Service","Node","Address","Port","Tags","Meta","Weights":{"Passing","Warning"},
//            "ProtectThreshold" (only when set),"Source"}
//   Check   {"CheckID","Name","Node","ServiceID","Status","Output","Notes","Definition"}
//
// Decoding is strict about types but lenient about presence: a missing field takes the
// model's default, except the identifying field (Node, ID + Service, CheckID). nlohmann
// exceptions never leave this file: encoding replaces invalid UTF-8 instead of throwing, and
// decoding catches json::exception and reports Error{corrupt} naming the key.
#include <exception>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/json_bounds.h"
#include "catalog/keyspace.h"

namespace beacon::catalog {
namespace {

using nlohmann::json;

// Raised inside this file only, turned into Error{corrupt} by decode().
struct ShapeError : std::exception {
  explicit ShapeError(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
  std::string message;
};

std::string dump(const json& j) {
  // error_handler_t::replace: a name with invalid UTF-8 must not make encode_* throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json meta_json(const std::map<std::string, std::string>& meta) {
  json j = json::object();
  for (const auto& [k, v] : meta) j[k] = v;
  return j;
}

// Reads optional field `name` into `out`; a present field of another type is a ShapeError.
void read_string(const json& j, const char* name, std::string& out, bool required = false) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required) throw ShapeError(std::string("missing field ") + name);
    return;
  }
  if (!it->is_string()) throw ShapeError(std::string("field ") + name + " is not a string");
  out = it->get<std::string>();
  if (required && out.empty()) throw ShapeError(std::string("field ") + name + " is empty");
}

uint32_t read_uint(const json& j, const char* name, uint64_t max) {
  if (!j.is_number_unsigned() || j.get<uint64_t>() > max) {
    throw ShapeError(std::string("field ") + name + " is not an unsigned integer in range");
  }
  return static_cast<uint32_t>(j.get<uint64_t>());
}

void read_meta(const json& j, std::map<std::string, std::string>& out) {
  auto it = j.find("Meta");
  if (it == j.end() || it->is_null()) return;
  if (!it->is_object()) throw ShapeError("field Meta is not an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) throw ShapeError("Meta value of " + k + " is not a string");
    out[k] = v.get<std::string>();
  }
}

void read_tags(const json& j, std::vector<std::string>& out) {
  auto it = j.find("Tags");
  if (it == j.end() || it->is_null()) return;
  if (!it->is_array()) throw ShapeError("field Tags is not an array");
  for (const auto& t : *it) {
    if (!t.is_string()) throw ShapeError("a tag is not a string");
    out.push_back(t.get<std::string>());
  }
}

// Parses kv.value as a JSON object and runs `fill` on it; any failure is Error{corrupt}.
template <typename T, typename Fill>
std::expected<T, Error> decode(const KeyValue& kv, const char* what, Fill fill) {
  json j = base::parse_bounded<json>(kv.value);
  if (j.is_discarded() || !j.is_object()) {
    return std::unexpected(Error{Error::Code::corrupt, std::string(what) + " at " + kv.key + ": not a JSON object"});
  }
  T out;
  try {
    fill(j, out);
  } catch (const std::exception& e) {  // ShapeError or json::exception
    return std::unexpected(Error{Error::Code::corrupt, std::string(what) + " at " + kv.key + ": " + e.what()});
  }
  out.create_index = kv.create_index;
  out.modify_index = kv.mod_index;
  return out;
}

// Writes the JSON that dump() would give, without building a DOM (encoding is on the write
// path and on every start, once per config service), for values whose strings are all
// "plain": printable ASCII without '"' or '\\', which need no escaping. ok() is false when a
// string was not plain; the caller then encodes through nlohmann, which escapes and replaces
// invalid UTF-8. Members must come in the order nlohmann's sorted objects give them.
class PlainWriter {
 public:
  // An object: open(), then key(...).<value> pairs, then close().
  PlainWriter& open() {
    out_ += '{';
    member_ = false;
    return *this;
  }
  PlainWriter& close() {
    out_ += '}';
    member_ = true;  // the object is a member value of the enclosing one
    return *this;
  }
  PlainWriter& key(std::string_view k) {
    if (member_) out_ += ',';
    quoted(k);
    out_ += ':';
    return *this;
  }
  PlainWriter& string(std::string_view v) { return quoted(v).done(); }
  PlainWriter& number(uint64_t v) {
    out_ += std::to_string(v);
    return done();
  }
  PlainWriter& raw(std::string_view v) {  // an already encoded value
    out_ += v;
    return done();
  }
  PlainWriter& array(const std::vector<std::string>& items) {
    out_ += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += ',';
      quoted(items[i]);
    }
    out_ += ']';
    return done();
  }
  PlainWriter& object(const std::map<std::string, std::string>& members) {  // std::map: sorted
    open();
    for (const auto& [k, v] : members) key(k).string(v);
    return close();
  }
  bool ok() const { return ok_; }
  std::string take() && { return std::move(out_); }

 private:
  PlainWriter& quoted(std::string_view v) {
    for (char c : v) ok_ = ok_ && c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
    out_ += '"';
    out_ += v;
    out_ += '"';
    return *this;
  }
  PlainWriter& done() {
    member_ = true;
    return *this;
  }
  std::string out_;
  bool member_ = false;  // the open object has a member already
  bool ok_ = true;
};

}  // namespace

std::string encode_node(const Node& node) {
  PlainWriter w;
  w.open().key("Address").string(node.address).key("Datacenter").string(node.datacenter);
  w.key("Meta").object(node.meta).key("Node").string(node.name).close();
  if (w.ok()) return std::move(w).take();
  json j = {{"Node", node.name},
            {"Address", node.address},
            {"Datacenter", node.datacenter},
            {"Meta", meta_json(node.meta)}};
  return dump(j);
}

std::string encode_service(const Service& s) {
  PlainWriter w;
  w.open().key("Address").string(s.address);
  // Written only when set, so that entries stored before the field existed encode the same.
  if (s.enable_tag_override) w.key("EnableTagOverride").raw("true");
  w.key("ID").string(s.id).key("Meta").object(s.meta);
  w.key("Node").string(s.node).key("Port").number(s.port);
  if (s.protect_threshold) w.key("ProtectThreshold").raw(json(*s.protect_threshold).dump());
  w.key("Service").string(s.name).key("Source").string(s.source).key("Tags").array(s.tags);
  w.key("Weights").open().key("Passing").number(s.weights.passing).key("Warning").number(s.weights.warning).close();
  w.close();
  if (w.ok()) return std::move(w).take();
  json j = {{"ID", s.id},
            {"Service", s.name},
            {"Node", s.node},
            {"Address", s.address},
            {"Port", s.port},
            {"Tags", s.tags},
            {"Meta", meta_json(s.meta)},
            {"Weights", {{"Passing", s.weights.passing}, {"Warning", s.weights.warning}}},
            {"Source", s.source}};
  if (s.protect_threshold) j["ProtectThreshold"] = *s.protect_threshold;
  if (s.enable_tag_override) j["EnableTagOverride"] = true;
  return dump(j);
}

std::string encode_check(const Check& c) {
  PlainWriter w;
  w.open().key("CheckID").string(c.id).key("Definition").string(c.definition).key("Name").string(c.name);
  w.key("Node").string(c.node).key("Notes").string(c.notes).key("Output").string(c.output);
  w.key("ServiceID").string(c.service_id).key("Status").string(health_name(c.status)).close();
  if (w.ok()) return std::move(w).take();
  json j = {{"CheckID", c.id},
            {"Name", c.name},
            {"Node", c.node},
            {"ServiceID", c.service_id},
            {"Status", health_name(c.status)},
            {"Output", c.output},
            {"Notes", c.notes},
            {"Definition", c.definition}};
  return dump(j);
}

std::expected<Node, Error> decode_node(const KeyValue& kv) {
  return decode<Node>(kv, "node", [](const json& j, Node& n) {
    read_string(j, "Node", n.name, /*required=*/true);
    read_string(j, "Address", n.address);
    read_string(j, "Datacenter", n.datacenter);
    read_meta(j, n.meta);
  });
}

std::expected<Service, Error> decode_service(const KeyValue& kv) {
  return decode<Service>(kv, "service", [](const json& j, Service& s) {
    read_string(j, "ID", s.id, /*required=*/true);
    read_string(j, "Service", s.name, /*required=*/true);
    read_string(j, "Node", s.node);
    read_string(j, "Address", s.address);
    if (auto it = j.find("Port"); it != j.end()) {
      s.port = static_cast<uint16_t>(read_uint(*it, "Port", std::numeric_limits<uint16_t>::max()));
    }
    read_tags(j, s.tags);
    read_meta(j, s.meta);
    if (auto it = j.find("Weights"); it != j.end() && !it->is_null()) {
      if (!it->is_object()) throw ShapeError("field Weights is not an object");
      constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
      if (auto p = it->find("Passing"); p != it->end()) s.weights.passing = read_uint(*p, "Weights.Passing", kMax);
      if (auto w = it->find("Warning"); w != it->end()) s.weights.warning = read_uint(*w, "Weights.Warning", kMax);
    }
    if (auto it = j.find("ProtectThreshold"); it != j.end() && !it->is_null()) {
      if (!it->is_number()) throw ShapeError("field ProtectThreshold is not a number");
      s.protect_threshold = it->get<double>();
    }
    if (auto it = j.find("EnableTagOverride"); it != j.end() && !it->is_null()) {
      if (!it->is_boolean()) throw ShapeError("field EnableTagOverride is not a boolean");
      s.enable_tag_override = it->get<bool>();
    }
    read_string(j, "Source", s.source);
  });
}

std::expected<Check, Error> decode_check(const KeyValue& kv) {
  return decode<Check>(kv, "check", [](const json& j, Check& c) {
    read_string(j, "CheckID", c.id, /*required=*/true);
    read_string(j, "Name", c.name);
    read_string(j, "Node", c.node);
    read_string(j, "ServiceID", c.service_id);
    std::string status;
    read_string(j, "Status", status, /*required=*/true);
    auto health = parse_health(status);
    if (!health) throw ShapeError("field Status is not passing, warning or critical: " + status);
    c.status = *health;
    read_string(j, "Output", c.output);
    read_string(j, "Notes", c.notes);
    read_string(j, "Definition", c.definition);
  });
}

}  // namespace beacon::catalog
