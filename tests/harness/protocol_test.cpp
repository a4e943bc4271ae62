// The wire between bench-run and its workers: message framing, and run specs
// that carry every value the suite parser accepts, typed, unchanged.
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>

#include "harness/protocol.h"
#include "results/store.h"
#include "support.h"

using namespace genbench;

namespace {

// A selftest suite whose defaults are `values` (YAML flow-map entries).
std::string suite_with(const std::string& values) {
  return "suite: wire\ntask: selftest\ndefaults: {steps: 3, " + values + "}\n";
}

// The same bits, -0.0 and NaN included.
bool same_value(const ParamValue& a, const ParamValue& b) {
  if (a.index() != b.index()) return false;
  if (std::holds_alternative<double>(a)) {
    double x = std::get<double>(a), y = std::get<double>(b);
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  if (std::holds_alternative<std::vector<double>>(a)) {
    const auto &x = std::get<std::vector<double>>(a), &y = std::get<std::vector<double>>(b);
    return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
  }
  return a == b;
}

// Every value the suite parser accepts that a text round trip could change.
const std::vector<std::string> kValues = {
    "label: \"[x]\"",          "label: \"~\"",         "label: \"\"",           "label: 'null'",
    "label: \"a: b, {c}\"",    "label: \"héllo ✓ 中文\"", "label: \"  spaced  \"",  "label: \"line\\nbreak\"",
    "label: \"'quoted'\"",     "label: \"#not a comment\"", "label: \"0x1F\"",      "label: \"1e3\"",
    "count: 9223372036854775807", "count: -9223372036854775808", "count: 0",
    "weights: []",             "weights: [-0.0, 1.0e-300, 0.1, 1.7976931348623157e308]",
    "step_std: 4.9e-324",      "step_std: 0.30000000000000004",
};

}  // namespace

TEST_CASE("a run spec reaches the worker with every value typed and unchanged", "[worker][protocol]") {
  auto value = GENERATE(from_range(kValues));
  CAPTURE(value);
  auto runs = expand(parse_suite(suite_with(value), "wire.yaml"), {});
  REQUIRE(runs.size() == 1);
  WorkerSpec spec{{runs[0]}, "cpu", 1};
  auto decoded = decode_spec(encode_spec(spec));
  REQUIRE(decoded.runs.size() == 1);
  const auto& back = decoded.runs[0];
  CHECK(back.task == "selftest");
  CHECK(back.id == runs[0].id);
  CHECK(back.seed == runs[0].seed);
  CHECK(back.log_every == runs[0].log_every);
  REQUIRE(back.params.values().size() == runs[0].params.values().size());
  for (const auto& [name, v] : runs[0].params.values()) {
    CAPTURE(name, format_value(v));
    CHECK(same_value(back.params.get(name), v));
  }
}

TEST_CASE("a stack's spec reaches the worker as its runs, in order", "[worker][protocol]") {
  auto runs = expand(parse_suite("suite: s\ntask: selftest\nsweep: {grid: {steps: [3, 4, 5]}, seeds: [0, 1]}\n", "s.yaml"), {});
  REQUIRE(runs.size() == 6);
  auto back = decode_spec(encode_spec({runs, "cuda:1", 2}));
  CHECK(back.device == "cuda:1");
  CHECK(back.threads == 2);
  REQUIRE(back.runs.size() == runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    CAPTURE(i);
    CHECK(back.runs[i].id == runs[i].id);
    CHECK(canonical_config(back.runs[i].task, back.runs[i].params, back.runs[i].log_every, back.runs[i].seed) ==
          canonical_config(runs[i].task, runs[i].params, runs[i].log_every, runs[i].seed));
  }
}

TEST_CASE("each member's messages arrive under its own index", "[worker][protocol]") {
  Encoder first(0), third(2);
  first.log(1, {{"loss", 0.5}});
  third.summary("x", 2.0);
  third.end(RunStatus::Diverged, "nan", 1, 0.1, "cpu");
  Decoder decoder;
  auto bytes = first.bytes() + third.bytes();
  decoder.feed(bytes.data(), bytes.size());
  Message m;
  REQUIRE(decoder.next(m));
  CHECK((m.type == Message::Log && m.member == 0 && m.step == 1));
  REQUIRE(decoder.next(m));
  CHECK((m.type == Message::Summary && m.member == 2 && m.key == "x"));
  REQUIRE(decoder.next(m));
  CHECK((m.type == Message::End && m.member == 2 && m.status == RunStatus::Diverged));
  CHECK_FALSE(decoder.next(m));
}

TEST_CASE("a worker process runs the config its parent expanded, for every value", "[worker][protocol][cli]") {
  test::TempDir dir;
  std::string yaml = "suite: wire\ntask: selftest\ndefaults: {steps: 3}\nsweep:\n  points:\n";
  for (size_t i = 0; i < kValues.size(); ++i)  // steps apart: `label: ""` alone would be the defaults' run
    yaml += "    - {name: v" + std::to_string(i) + ", steps: " + std::to_string(3 + i) + ", " + kValues[i] + "}\n";
  test::write_file(dir.file("s.yaml"), yaml);
  auto r = test::bench_run({dir.file("s.yaml"), "--jobs", "2", "--out", dir.file("o.h5")});
  REQUIRE(r.exit_code == 0);
  auto file = read_results(dir.file("o.h5"));
  REQUIRE(file.runs.size() == kValues.size());
  for (const auto& run : file.runs) {
    CAPTURE(run.point, run.id);
    auto id = std::stoull(run.id, nullptr, 16);
    CHECK(run.summaries.at("received_id_high") == static_cast<double>(id >> 32));
    CHECK(run.summaries.at("received_id_low") == static_cast<double>(id & 0xffffffffu));
  }
}

TEST_CASE("a malformed spec is refused with what was wrong", "[worker][protocol]") {
  auto runs = expand(parse_suite(suite_with("label: x"), "wire.yaml"), {});
  auto bytes = encode_spec({{runs[0]}, "cpu", 1});
  SECTION("cut short") {
    REQUIRE_THROWS_WITH(decode_spec(bytes.substr(0, bytes.size() - 3)),
                        "worker: malformed run spec: worker message truncated");
  }
  SECTION("with bytes left over") {
    REQUIRE_THROWS_WITH(decode_spec(bytes + "xy"), "worker: malformed run spec: 2 bytes left over");
  }
  SECTION("for a task this worker does not know") {
    WorkerSpec spec{{runs[0]}, "cpu", 1};
    spec.runs[0].task = "nonesuch";
    spec.runs[0].params = Params();
    REQUIRE_THROWS_WITH(decode_spec(encode_spec(spec)), "worker: unknown task 'nonesuch'");
  }
  SECTION("with a value of the wrong type") {
    WorkerSpec spec{{runs[0]}, "cpu", 1};
    spec.runs[0].params.set("steps", 2.5);
    REQUIRE_THROWS_WITH(decode_spec(encode_spec(spec)), "worker: parameter 'steps': expected int, found type tag 1");
  }
}

TEST_CASE("messages decode only when whole, bit for bit, in any chunking", "[protocol]") {
  Encoder enc;
  enc.log(7, {{"loss", 0.1}, {"nan", std::numeric_limits<double>::quiet_NaN()}});
  enc.summary("final", -0.0);
  enc.end(RunStatus::Diverged, "metric 'loss' is nan", 5, 1.25, "cpu");
  const auto bytes = enc.bytes();
  auto chunk = GENERATE(1, 2, 5, 1000);
  CAPTURE(chunk);
  Decoder dec;
  std::vector<Message> got;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    dec.feed(bytes.data() + at, std::min<size_t>(chunk, bytes.size() - at));
    Message m;
    while (dec.next(m)) got.push_back(m);
  }
  CHECK(dec.empty());
  REQUIRE(got.size() == 3);
  CHECK(got[0].type == Message::Log);
  CHECK(got[0].step == 7);
  CHECK(got[0].metrics[0] == std::make_pair(std::string("loss"), 0.1));
  CHECK(std::isnan(got[0].metrics[1].second));
  CHECK(got[1].key == "final");
  CHECK(std::signbit(got[1].value));
  CHECK(got[2].status == RunStatus::Diverged);
  CHECK(got[2].error == "metric 'loss' is nan");
  CHECK(got[2].last_good_step == 5);
  CHECK(got[2].value == 1.25);
}

TEST_CASE("a frame of an unknown type or a truncated payload is a protocol error", "[protocol]") {
  Decoder dec;
  Message m;
  SECTION("unknown type") {
    std::string bad = "X";
    bad.append(8, '\0');
    dec.feed(bad.data(), bad.size());
    REQUIRE_THROWS_WITH(dec.next(m), "worker sent an unknown message type 88");
  }
  SECTION("a Summary whose key overruns its frame") {
    Encoder enc;
    enc.summary("key", 1.0);
    auto bytes = enc.bytes();
    bytes[9] = 100;  // the key's length, inside a frame that is 15 bytes long
    dec.feed(bytes.data(), bytes.size());
    REQUIRE_THROWS_WITH(dec.next(m), "worker message truncated");
  }
  SECTION("an End whose status is no run status") {
    Encoder enc;
    enc.end(RunStatus::Ok, "", 3, 1.0, "cpu");
    auto bytes = enc.bytes();
    REQUIRE(bytes.substr(13, 2) == "ok");  // after the 9-byte header and the 4-byte length
    bytes[13] = 'n';
    dec.feed(bytes.data(), bytes.size());
    REQUIRE_THROWS_WITH(dec.next(m), "worker ended a run with an unknown status");
  }
}
