// Check definitions as Consul JSON: round trips, Consul's spellings, and validation errors.
#include "catalog/check_definition.h"

#include <catch2/catch.hpp>
#include <string>

namespace beacon::catalog {
namespace {

using config::CheckConfig;
using std::chrono::milliseconds;

void require_same(const CheckConfig& a, const CheckConfig& b) {
  CHECK(a.id == b.id);
  CHECK(a.name == b.name);
  CHECK(a.notes == b.notes);
  CHECK(a.kind == b.kind);
  CHECK(a.http == b.http);
  CHECK(a.method == b.method);
  CHECK(a.header == b.header);
  CHECK(a.body == b.body);
  CHECK(a.tls_skip_verify == b.tls_skip_verify);
  CHECK(a.tcp == b.tcp);
  CHECK(a.udp == b.udp);
  CHECK(a.grpc == b.grpc);
  CHECK(a.grpc_use_tls == b.grpc_use_tls);
  CHECK(a.tls_server_name == b.tls_server_name);
  CHECK(a.args == b.args);
  CHECK(a.ttl == b.ttl);
  CHECK(a.interval == b.interval);
  CHECK(a.timeout == b.timeout);
  CHECK(a.status == b.status);
  CHECK(a.success_before_passing == b.success_before_passing);
  CHECK(a.failures_before_warning == b.failures_before_warning);
  CHECK(a.failures_before_critical == b.failures_before_critical);
  CHECK(a.deregister_critical_service_after == b.deregister_critical_service_after);
}

std::string decode_error(const std::string& json) {
  auto d = decode_check_definition(json);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error().code == Error::Code::invalid);
  return d.error().message;
}

}  // namespace

TEST_CASE("check definitions round-trip through JSON", "[check_definition]") {
  CheckConfig http;
  http.id = "web-http";
  http.name = "Web over HTTP";
  http.notes = "checks /health";
  http.kind = CheckConfig::Kind::http;
  http.http = "https://127.0.0.1:8443/health?full=1";
  http.method = "POST";
  http.header = {{"X-Token", {"a", "b"}}, {"Accept", {"application/json"}}};
  http.body = "{\"ping\":true}";
  http.tls_skip_verify = true;
  http.interval = milliseconds(10000);
  http.timeout = milliseconds(1500);
  http.status = "passing";
  http.success_before_passing = 2;
  http.failures_before_warning = 1;
  http.failures_before_critical = 3;
  http.deregister_critical_service_after = milliseconds(90000);

  CheckConfig tcp;
  tcp.kind = CheckConfig::Kind::tcp;
  tcp.tcp = "localhost:22";
  tcp.interval = milliseconds(1000);

  CheckConfig udp;
  udp.kind = CheckConfig::Kind::udp;
  udp.udp = "[::1]:53";
  udp.interval = milliseconds(2500);

  CheckConfig script;
  script.kind = CheckConfig::Kind::script;
  script.args = {"/bin/sh", "-c", "exit 1"};
  script.interval = milliseconds(30000);
  script.timeout = milliseconds(100);

  CheckConfig grpc;
  grpc.kind = CheckConfig::Kind::grpc;
  grpc.grpc = "127.0.0.1:50051/pkg.Service";
  grpc.grpc_use_tls = true;
  grpc.tls_skip_verify = true;
  grpc.tls_server_name = "api.internal";
  grpc.interval = milliseconds(5000);

  CheckConfig ttl;
  ttl.id = "service:web";
  ttl.kind = CheckConfig::Kind::ttl;
  ttl.ttl = milliseconds(500);
  ttl.status = "warning";

  for (const CheckConfig* def : {&http, &tcp, &udp, &grpc, &script, &ttl}) {
    std::string json = encode_check_definition(*def);
    INFO(json);
    auto back = decode_check_definition(json);
    REQUIRE(back.has_value());
    require_same(*back, *def);
  }
}

TEST_CASE("check definitions take Consul's spellings", "[check_definition]") {
  SECTION("PascalCase as the API sends it, durations as strings") {
    auto d = decode_check_definition(
        R"({"CheckID":"c1","Name":"n","ServiceID":"web","HTTP":"http://x/","Method":"PUT",)"
        R"("Header":{"A":["1"]},"TLSSkipVerify":true,"Interval":"1m30s","Timeout":"2s",)"
        R"("DeregisterCriticalServiceAfter":"1h","Status":"warning"})");
    REQUIRE(d.has_value());
    CHECK(d->id == "c1");
    CHECK(d->kind == CheckConfig::Kind::http);
    CHECK(d->method == "PUT");
    CHECK(d->header.at("A") == std::vector<std::string>{"1"});
    CHECK(d->tls_skip_verify);
    CHECK(d->interval == milliseconds(90000));
    CHECK(d->timeout == milliseconds(2000));
    CHECK(d->deregister_critical_service_after == milliseconds(3600000));
    CHECK(d->status == "warning");
  }
  SECTION("snake_case and integer nanoseconds") {
    auto d = decode_check_definition(
        R"({"id":"c2","script_args":["/bin/true"],"interval":10000000000,"timeout":250000000,)"
        R"("success_before_passing":3,"failures_before_warning":1,"failures_before_critical":2})");
    REQUIRE(d.has_value());
    CHECK(d->id == "c2");
    CHECK(d->kind == CheckConfig::Kind::script);
    CHECK(d->args == std::vector<std::string>{"/bin/true"});
    CHECK(d->interval == milliseconds(10000));
    CHECK(d->timeout == milliseconds(250));
    CHECK(d->success_before_passing == 3);
    CHECK(d->failures_before_warning == 1);
    CHECK(d->failures_before_critical == 2);
  }
  SECTION("gRPC as Consul's API and Nomad send it") {
    auto d = decode_check_definition(
        R"({"Name":"g","GRPC":"[::1]:9090/health","GRPCUseTLS":true,"TLSSkipVerify":true,)"
        R"("TLSServerName":"svc.local","Interval":"10s","Timeout":"1s"})");
    REQUIRE(d.has_value());
    CHECK(d->kind == CheckConfig::Kind::grpc);
    CHECK(d->grpc == "[::1]:9090/health");
    CHECK(d->grpc_use_tls);
    CHECK(d->tls_skip_verify);
    CHECK(d->tls_server_name == "svc.local");
    std::string echoed = encode_check_definition(*d);
    for (const char* field : {R"("GRPC":"[::1]:9090/health")", R"("GRPCUseTLS":true)", R"("TLSServerName":"svc.local")",
                              R"("TLSSkipVerify":true)"}) {
      CHECK(echoed.find(field) != std::string::npos);
    }
  }
  SECTION("defaults, ignored keys and empty values as clients send them") {
    auto d = decode_check_definition(
        R"({"TTL":"15s","HTTP":"","TCP":"","Args":[],"DockerContainerID":"","Shell":"",)"
        R"("Namespace":"default","OutputMaxSize":100,"Interval":""})");
    REQUIRE(d.has_value());
    CHECK(d->kind == CheckConfig::Kind::ttl);
    CHECK(d->ttl == milliseconds(15000));
    CHECK(d->method == "GET");
    CHECK(d->status == "critical");
    CHECK(d->id.empty());
  }
}

TEST_CASE("a check definition nested past the JSON bounds is refused with the reason", "[check_definition]") {
  std::string deep = R"({"TTL":"10s","Header":)";
  for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
  deep += "1" + std::string(100000, '}') + "}";
  auto r = decode_check_definition(deep);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "check definition: JSON nested deeper than 64 levels");
}

TEST_CASE("check definitions are validated with Consul-like reasons", "[check_definition]") {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"Name":"x"})", "exactly one of HTTP, TCP, UDP, GRPC, TTL or Args must be set"},
      {R"({"TTL":"10s","TCP":"a:1","Interval":"10s"})",
       "exactly one of HTTP, TCP, UDP, GRPC, TTL or Args must be set"},
      {R"({"TCP":"a:1"})", "Interval is required for TCP checks"},
      {R"({"GRPC":"127.0.0.1:9090"})", "Interval is required for GRPC checks"},
      {R"({"GRPC":"127.0.0.1/svc","Interval":"5s"})", "GRPC \"127.0.0.1/svc\": must be \"host:port\""},
      {R"({"GRPC":"127.0.0.1:9090","GRPCUseTLS":"yes","Interval":"5s"})", "GRPCUseTLS must be true or false"},
      {R"({"HTTP":"http://a/","Interval":"500ms"})", "Interval must be at least 1s"},
      {R"({"TTL":"1x"})", "TTL: unknown unit \"x\" in duration \"1x\""},
      {R"({"TTL":1.5})", "TTL must be a duration string such as \"10s\" or an integer of nanoseconds"},
      {R"({"TTL":-5})", "TTL must not be negative"},
      {R"({"TTL":"10s","Status":"ok"})", "unknown Status \"ok\": must be passing, warning or critical"},
      {R"({"HTTP":"ftp://a/","Interval":"10s"})", "HTTP \"ftp://a/\" must be an http:// or https:// URL"},
      {R"({"TCP":"nohost","Interval":"10s"})", "TCP \"nohost\": must be \"host:port\""},
      {R"({"UDP":"a:70000","Interval":"10s"})", "UDP \"a:70000\": port must be 1..65535"},
      {R"({"TTL":"10s","FailuresBeforeWarning":3,"FailuresBeforeCritical":2})",
       "FailuresBeforeWarning must not exceed FailuresBeforeCritical"},
      {R"({"TTL":"10s","SuccessBeforePassing":-1})", "SuccessBeforePassing must be a non-negative integer"},
      {R"({"TTL":"10s","Header":{"A":"b"}})", "Header \"A\" must be a list of strings"},
      {R"({"TTL":"10s","TLSSkipVerify":"yes"})", "TLSSkipVerify must be true or false"},
      {R"({"Args":"ls","Interval":"10s"})", "Args must be a list of strings"},
      {R"({"DockerContainerID":"abc","Args":["true"],"Interval":"10s"})", "DockerContainerID checks are not supported"},
      {R"({"H2PING":"a:443","Interval":"10s"})", "H2PING checks are not supported"},
      {R"({"OSService":"sshd","Interval":"10s"})", "OSService checks are not supported"},
      {R"({"AliasService":"web"})", "AliasService checks are not supported"},
      {R"({"alias_node":"n1"})", "AliasNode checks are not supported"},
      {R"([1,2])", "check definition must be a JSON object"},
      {R"({"TTL":)", "check definition is not valid JSON"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    CHECK(decode_error(c.json) == c.message);
  }
}

}  // namespace beacon::catalog
