// Benchmark JSON comparison: parsing Google Benchmark's real output, and
// flagging only changes larger than the repetitions' noise.
#include <catch2/catch.hpp>

#include "harness/perf.h"
#include "support.h"

using namespace genbench;

namespace {

// A file in Google Benchmark's JSON layout, with one entry per repetition
// and the aggregates it appends.
std::string bench_json(const std::vector<double>& times) {
  std::string out = "{\"context\": {\"library_build_type\": \"release\"}, \"benchmarks\": [\n";
  for (size_t i = 0; i < times.size(); ++i)
    out += "{\"name\": \"BM_Step/30\", \"run_name\": \"BM_Step/30\", \"run_type\": \"iteration\", \"repetitions\": " +
           std::to_string(times.size()) + ", \"repetition_index\": " + std::to_string(i) +
           ", \"iterations\": 1000, \"real_time\": " + std::to_string(times[i]) +
           ", \"cpu_time\": 1.0, \"time_unit\": \"us\"},\n";
  out += "{\"name\": \"BM_Step/30_mean\", \"run_name\": \"BM_Step/30\", \"run_type\": \"aggregate\", "
         "\"aggregate_name\": \"mean\", \"real_time\": 999.0, \"time_unit\": \"us\"}]}\n";
  return out;
}

int verdict(const std::vector<double>& before, const std::vector<double>& after, bool& slower) {
  test::TempDir dir;
  test::write_file(dir.file("a.json"), bench_json(before));
  test::write_file(dir.file("b.json"), bench_json(after));
  auto changes = compare_benchmarks(read_benchmark_json(dir.file("a.json")), read_benchmark_json(dir.file("b.json")), 0.05);
  REQUIRE(changes.size() == 1);
  slower = changes[0].ratio > 1;
  return changes[0].significant;
}

}  // namespace

TEST_CASE("benchmark JSON: repetitions are read, aggregates skipped", "[perf]") {
  test::TempDir dir;
  test::write_file(dir.file("a.json"), bench_json({10, 11, 12}));
  auto runs = read_benchmark_json(dir.file("a.json"));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].name == "BM_Step/30");
  CHECK(runs[0].unit == "us");
  CHECK(runs[0].times == std::vector<double>{10, 11, 12});
  test::write_file(dir.file("bad.json"), "{\"context\": {}}");
  REQUIRE_THROWS_WITH(read_benchmark_json(dir.file("bad.json")),
                      dir.file("bad.json") + ": no 'benchmarks' list: is this Google Benchmark's JSON output?");
}

TEST_CASE("benchmark comparison flags only changes beyond the measured noise", "[perf]") {
  bool slower = false;
  CHECK(verdict({100, 101, 99}, {130, 131, 129}, slower));  // 30% slower, 1% noise
  CHECK(slower);
  CHECK(verdict({100, 101, 99}, {70, 71, 69}, slower));
  CHECK_FALSE(slower);
  CHECK_FALSE(verdict({100, 101, 99}, {103, 102, 104}, slower));  // below the 5% floor
  CHECK_FALSE(verdict({100, 150, 60}, {130, 131, 129}, slower));  // 30% inside 45% noise
  CHECK_FALSE(verdict({100}, {200}, slower));                     // one repetition: no spread, no verdict
}

#ifdef BENCH_MATRIX_SENSING
TEST_CASE("Google Benchmark's own JSON output is read", "[perf]") {
  test::TempDir dir;
  auto json = dir.file("out.json");
  auto cmd = std::string(BENCH_MATRIX_SENSING) + " --benchmark_filter='^BM_MatrixSensingStep/gd/30$' --benchmark_min_time=0.01 " +
             "--benchmark_repetitions=2 --benchmark_out_format=json --benchmark_out=" + json + " > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto runs = read_benchmark_json(json);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].name == "BM_MatrixSensingStep/gd/30");
  CHECK(runs[0].times.size() == 2);
  CHECK(runs[0].times[0] > 0);
}
#endif
