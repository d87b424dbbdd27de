// beacon::catalog check definitions: a check's kind, target and schedule as Consul JSON.
//
// The same JSON shape serves the HTTP API (`Check`/`Checks` in a service registration,
// `PUT /v1/agent/check/register`) and the catalog, which stores it in Check::definition so
// that the agent that owns a check can run it again after a restart. Keys are Consul's
// PascalCase names; snake_case spellings are accepted on input ("Interval"/"interval",
// "TLSSkipVerify"/"tls_skip_verify", "DeregisterCriticalServiceAfter"/
// "deregister_critical_service_after", "ScriptArgs"/"Args"/"args", ...). Durations are Consul
// strings ("10s"); integers are taken as nanoseconds, as Consul's API does. Pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "catalog/store.h"
#include "config/config.h"

namespace beacon::catalog {

// Encodes a definition (kind, target, method, header, body, interval, timeout, ttl,
// thresholds, deregister-after, status, notes, id, name) as compact JSON. Never fails.
std::string encode_check_definition(const config::CheckConfig& def);

// Decodes and validates one check object. Returns Error{invalid} with a Consul-like reason
// ("Interval must be at least 1s", "exactly one of HTTP, TCP, UDP, GRPC, TTL or Args must be
// set", "invalid duration \"1x\"", unknown Status ...). Does not fill default IDs or names.
std::expected<config::CheckConfig, Error> decode_check_definition(std::string_view json);

}  // namespace beacon::catalog
