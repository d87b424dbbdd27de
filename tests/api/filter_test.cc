// The filter language (api/filter.h): each operator, precedence, quoting, selectors,
// errors with their positions, and the bounds on hostile input.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "api/filter.h"

namespace beacon::api::filter {
namespace {

// One health-service element, as /v1/health/service encodes it.
const nlohmann::json kEntry = nlohmann::json::parse(R"({
  "Node": {"Node": "n1", "Address": "10.0.0.1", "Meta": {"rack": "r1", "env-name": "prod", "empty": ""}},
  "Service": {"ID": "web1", "Service": "web", "Tags": ["v1", "primary"], "Port": 8080,
              "Meta": {"version": "1.2.3"}, "EnableTagOverride": false, "Weights": {"Passing": 1},
              "ProtectThreshold": 0.5},
  "Checks": [{"CheckID": "serfHealth", "Status": "passing"}, {"CheckID": "service:web1", "Status": "critical"}]
})");

// Evaluates `text` against kEntry; the test fails when it does not parse.
bool eval(const std::string& text, const nlohmann::json& element = kEntry) {
  auto e = parse(text);
  INFO(text);
  if (!e) FAIL(e.error().describe());
  return matches_one(*e, nlohmann::json::array({element}).dump());
}

Error error_of(const std::string& text) {
  auto e = parse(text);
  INFO(text);
  REQUIRE_FALSE(e.has_value());
  return e.error();
}

TEST_CASE("filter: equality on strings, numbers and booleans", "[api][filter]") {
  CHECK(eval(R"(Service.Service == "web")"));
  CHECK_FALSE(eval(R"(Service.Service == "api")"));
  CHECK(eval(R"(Service.Service != "api")"));
  CHECK_FALSE(eval(R"(Service.Service != web)"));
  CHECK(eval("Service.Service==web"));  // no spaces around == are needed
  CHECK(eval("Service.Port == 8080"));
  CHECK_FALSE(eval("Service.Port == 80"));
  CHECK(eval("Service.Port != 80"));
  CHECK(eval(R"(Service.Port == "8080")"));  // a quoted value converts to the field's type
  CHECK_FALSE(eval(R"(Service.Port == "http")"));  // does not convert: false either way
  CHECK_FALSE(eval(R"(Service.Port != "http")"));
  CHECK(eval("Service.EnableTagOverride == false"));
  CHECK(eval("Service.EnableTagOverride != true"));
  CHECK(eval("Service.ProtectThreshold == 0.5"));
  CHECK_FALSE(eval("Service.Tags == v1"));  // == on a list is a type error: false
}

TEST_CASE("filter: in, contains and their negations", "[api][filter]") {
  CHECK(eval(R"("v1" in Service.Tags)"));
  CHECK(eval("primary in Service.Tags"));  // a bare word value
  CHECK_FALSE(eval(R"("v2" in Service.Tags)"));
  CHECK(eval(R"("v2" not in Service.Tags)"));
  CHECK(eval(R"(Service.Tags contains "v1")"));
  CHECK_FALSE(eval(R"(Service.Tags not contains "v1")"));
  CHECK(eval(R"(Service.Tags not contains "v3")"));
  // On a string: substring; on a map: the key.
  CHECK(eval(R"(Service.Service contains "we")"));
  CHECK(eval(R"("rack" in Node.Meta)"));
  CHECK(eval(R"(Node.Meta not contains "zone")"));
  CHECK(eval("8080 in Service.Port") == false);  // a number cannot contain
}

TEST_CASE("filter: is empty and is not empty", "[api][filter]") {
  CHECK(eval("Node.Meta.empty is empty"));
  CHECK(eval("Service.Tags is not empty"));
  CHECK_FALSE(eval("Service.Tags is empty"));
  CHECK(eval("Node.Meta.missing is empty"));  // a missing key holds nothing
  CHECK_FALSE(eval("Node.Meta.missing is not empty"));
  CHECK(eval(R"(Service.Meta is not empty)"));
}

TEST_CASE("filter: matches and not matches (POSIX extended, unanchored)", "[api][filter]") {
  CHECK(eval(R"(Service.Service matches "^w.b$")"));
  CHECK(eval(R"(Service.Meta.version matches "[0-9]+\\.[0-9]+")"));
  CHECK(eval(R"(Service.Meta.version matches `^\d\.\d\.\d$`)"));  // raw string, Go's \d
  CHECK_FALSE(eval(R"(Service.Service matches "^api")"));
  CHECK(eval(R"(Service.Service not matches "^api")"));
  CHECK(eval(R"(Node.Node matches "n1|n2")"));
  CHECK_FALSE(eval(R"(Service.Port matches "80")"));  // not a string: false
  CHECK_FALSE(eval(R"(Node.Meta.missing matches ".*")"));
  CHECK(eval(R"(Node.Meta.missing not matches ".*")"));
}

TEST_CASE("filter: selectors: dots, indexes, quoted keys, lists of objects", "[api][filter]") {
  CHECK(eval(R"(Node.Meta["rack"] == "r1")"));
  CHECK(eval(R"(Node.Meta["env-name"] == prod)"));  // a key that is no identifier
  CHECK(eval("Node.Meta[`env-name`] == prod"));
  CHECK(eval("Node.Meta.rack == r1"));
  CHECK(eval("Service.Tags.1 == primary"));
  CHECK(eval("Checks.0.CheckID == serfHealth"));
  // Through a list of objects: true when any item satisfies the match.
  CHECK(eval("Checks.Status == critical"));
  CHECK(eval("Checks.Status == passing"));
  CHECK_FALSE(eval("Checks.Status == warning"));
  CHECK(eval("Checks.Status != passing"));  // some check is not passing
  // Missing fields answer as a missing map key.
  CHECK_FALSE(eval("Service.Nope == x"));
  CHECK(eval("Service.Nope != x"));
  CHECK_FALSE(eval("Checks.5.Status == passing"));
  // Case-sensitive, as Consul's field names.
  CHECK_FALSE(eval("service.service == web"));
}

TEST_CASE("filter: and, or, not, parentheses and precedence", "[api][filter]") {
  CHECK(eval("Service.Service == web and Node.Node == n1"));
  CHECK_FALSE(eval("Service.Service == web and Node.Node == n2"));
  CHECK(eval("Service.Service == api or Node.Node == n1"));
  CHECK_FALSE(eval("not Service.Service == web"));
  CHECK(eval("not(Service.Service == api)"));
  CHECK(eval("not not Service.Service == web"));
  // and binds tighter than or; not tighter than and.
  CHECK(eval("Node.Node == n1 or Node.Node == x and Node.Node == y"));
  CHECK_FALSE(eval("(Node.Node == n1 or Node.Node == x) and Node.Node == y"));
  CHECK(eval("not Node.Node == x and Node.Node == n1"));
  CHECK_FALSE(eval("not (Node.Node == x or Node.Node == n1)"));
  CHECK(eval(" ( ( Service.Port == 8080 ) ) "));
  CHECK(eval("Node.Node == a or Node.Node == b or Node.Node == c or Node.Node == n1"));
  // Keywords are whole words: `notes`, `order`, `android` are selectors.
  nlohmann::json other{{"notes", "x"}, {"order", "y"}, {"android", "z"}};
  CHECK(eval("notes == x and order == y and android == z", other));
}

TEST_CASE("filter: string escapes", "[api][filter]") {
  nlohmann::json e{{"A", "say \"hi\"\n"}, {"B", "caf\xc3\xa9"}, {"C", "a\\d"}};
  CHECK(eval(R"(A == "say \"hi\"\n")", e));
  CHECK(eval(R"(B == "caf\u00e9")", e));
  CHECK(eval(R"(B == "caf\xc3\xa9")", e));
  CHECK(eval(R"(C == `a\d`)", e));  // backticks: no escapes
}

TEST_CASE("filter: syntax errors give their position", "[api][filter]") {
  Error e = error_of("Service.Tags contians x");
  CHECK(e.offset == 13);
  CHECK(e.describe().starts_with("Failed to create boolean expression evaluator: 1:14 (13): expected an operator"));
  CHECK(error_of("Service.Port ==").offset == 15);
  CHECK(error_of("Service.Port == ").message.find("expected a value") != std::string::npos);
  CHECK(error_of("(Node.Node == a").message == "unmatched parenthesis");
  CHECK(error_of("(Node.Node == a").offset == 0);
  CHECK(error_of("Node.Node == a)").offset == 14);
  CHECK(error_of(R"(Node.Node == "abc)").offset == 13);
  CHECK(error_of(R"(Node.Node == "abc)").message == "unterminated string literal");
  CHECK(error_of("Node.Node == a and").offset == 18);
  CHECK(error_of("Node.Node == a b").offset == 15);
  CHECK(error_of("== x").offset == 0);
  CHECK(error_of("").message.find("expected a selector") != std::string::npos);
  CHECK(error_of(R"("x" == Node.Node)").message.find("\"in\"") != std::string::npos);
  CHECK(error_of("Node.Meta[rack] == a").message.find("invalid index") != std::string::npos);
  CHECK(error_of("Node.Port == 12ab").offset == 13);
  CHECK(error_of(R"(Node.Node == "\q")").offset == 14);
  Error line2 = error_of("Node.Node == a\nand ==");
  CHECK(line2.line == 2);
  CHECK(line2.column == 5);
  CHECK(line2.describe().find("2:5 (19)") != std::string::npos);
}

TEST_CASE("filter: bad regular expressions are refused at the value", "[api][filter]") {
  Error e = error_of(R"(Node.Node matches "a(b")");
  CHECK(e.offset == 18);
  CHECK(e.message.starts_with("invalid regular expression"));
  CHECK(error_of(R"(Node.Node matches `(a)\1`)").message.find("back-references") != std::string::npos);
  CHECK(error_of("Node.Node matches \"" + std::string(kMaxPattern + 1, 'a') + "\"").message.find("longer") !=
        std::string::npos);
  CHECK(error_of(R"(Node.Node matches "(a{100}){100}")").message.find("repetition") != std::string::npos);
  CHECK(parse(R"(Node.Node matches "^[a-z]{3}-[0-9]{2,4}$")").has_value());
}

TEST_CASE("filter: hostile input is bounded", "[api][filter]") {
  // Nesting: 64 levels parse, 65 do not (parentheses, nots, and a mix).
  auto nested = [](int n) { return std::string(n, '(') + "A == b" + std::string(n, ')'); };
  CHECK(parse(nested(kMaxDepth)).has_value());
  Error deep = error_of(nested(kMaxDepth + 1));
  CHECK(deep.message.find("nested deeper") != std::string::npos);
  CHECK(deep.offset == static_cast<size_t>(kMaxDepth));
  std::string nots;
  for (int i = 0; i < kMaxDepth + 1; ++i) nots += "not ";
  CHECK(error_of(nots + "A == b").message.find("nested deeper") != std::string::npos);
  // A thousand open parentheses (well under the length limit) are refused, not recursed into.
  CHECK_FALSE(parse(std::string(1000, '(')).has_value());
  // Length.
  std::string longest = "A == \"" + std::string(kMaxLength - 7, 'x') + "\"";
  REQUIRE(longest.size() == kMaxLength);
  CHECK(parse(longest).has_value());
  CHECK(error_of(longest + " ").message.find("longer than") != std::string::npos);
  // Long flat chains are one n-ary node: evaluation does not recurse per operand.
  std::string chain = "A == x";
  while (chain.size() + 40 < kMaxLength) chain += " or A == x";
  CHECK(eval(chain + " or Node.Node == n1"));
  // A pattern that makes backtracking engines exponential answers at once.
  auto start = std::chrono::steady_clock::now();
  nlohmann::json subject{{"A", std::string(5000, 'a') + "!"}};
  CHECK_FALSE(eval(R"(A matches "^(a|a)*(a|aa)*(a*)*$")", subject));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("filter: matches_one takes one element of an array or object", "[api][filter]") {
  auto e = parse("Service == web");
  REQUIRE(e);
  CHECK(matches_one(*e, R"([{"Service": "web"}])"));
  CHECK(matches_one(*e, R"({"web1": {"Service": "web"}})"));
  CHECK(matches_one(*e, R"({"Node": {}, "Services": {"web1": {"Service": "web"}}})", "Services"));
  CHECK_FALSE(matches_one(*e, R"([{"Service": "api"}])"));
  CHECK_FALSE(matches_one(*e, R"([])"));
  CHECK_FALSE(matches_one(*e, R"([{"Service": "web"}, {"Service": "web"}])"));
  CHECK_FALSE(matches_one(*e, "not json"));
}

}  // namespace
}  // namespace beacon::api::filter
