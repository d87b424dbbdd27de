// beacon::api JSON input: the registration bodies Consul clients send.
//
// Keys are matched as Go's encoding/json and Consul's snake_case translation match them:
// without regard to case and ignoring '_' and '-', so "ServiceID", "service_id" and
// "serviceId" are one key. Unknown keys are ignored (clients send whole structs). Each
// decode_* returns the decoded value or the Consul-style 400 reason: "Request decode
// failed: ..." for JSON that does not parse or a field of the wrong type, or the specific
// validation failure ("Missing service name", "Invalid Service Meta: ..."). Check objects
// are passed on as JSON text for catalog::decode_check_definition. Pure functions.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/model.h"

namespace beacon::api {

// One check object of a registration.
struct CheckInput {
  std::string json;           // the object, compact, for catalog::decode_check_definition
  std::string id;             // "CheckID" / "ID"; empty when not given
  std::string name;           // empty when not given
  std::string service_id;     // "ServiceID" (check register) ; empty when not given
  std::string notes;
  bool status_given = false;  // an explicit non-empty "Status"
  std::string status;         // as given (catalog registration checks)
  std::string output;         // "Output" (catalog registration checks)
};

// PUT /v1/agent/service/register. The service has no node or source yet. Name is required;
// ID defaults to Name; Meta is checked like Consul (64 pairs, key [A-Za-z0-9_-]{1,128},
// value <= 512); Weights default to 1/1 and need Passing >= 1, both <= 65535; Address must
// be empty or an IP literal; ProtectThreshold (beacon) 0..1. TaggedAddresses,
// EnableTagOverride (also stored), Kind, TaggedAddresses, Proxy, Connect, Namespace, Partition,
// SocketPath, Locality and Token are accepted and ignored, but type-checked as Consul
// decodes them: a wrong type is a 400 naming the field, and nothing is stored.
struct ServiceRegistration {
  catalog::Service service;
  std::vector<CheckInput> checks;  // "Check" then "Checks", in order
};
std::expected<ServiceRegistration, std::string> decode_service_registration(std::string_view body);

// PUT /v1/agent/check/register: the body as one check.
std::expected<CheckInput, std::string> decode_check_registration(std::string_view body);

// PUT /v1/catalog/register: {Node, Address, Datacenter, NodeMeta, Service, Check, Checks}.
struct CatalogRegistration {
  catalog::Node node;
  bool skip_node_update = false;
  std::optional<catalog::Service> service;  // validated as for the agent (ID defaults to Service)
  std::vector<CheckInput> checks;
};
std::expected<CatalogRegistration, std::string> decode_catalog_registration(std::string_view body);

// PUT /v1/catalog/deregister: {Node, ServiceID, CheckID}.
struct CatalogDeregistration {
  std::string node;
  std::string service_id;
  std::string check_id;
};
std::expected<CatalogDeregistration, std::string> decode_catalog_deregistration(std::string_view body);

// PUT /v1/agent/check/update/:id: {Status, Output}. Status must be passing, warning or
// critical ("Invalid check status: '<s>'").
struct CheckUpdate {
  catalog::Health status = catalog::Health::critical;
  std::string output;
};
std::expected<CheckUpdate, std::string> decode_check_update(std::string_view body);

}  // namespace beacon::api
