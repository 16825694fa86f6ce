// The Prometheus text exposition format, line by line.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "r1/error.h"

namespace r1::server {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Metrics, CounterWithLabels) {
  MetricsRegistry registry;
  Counter& requests = registry.counter("requests_total", "HTTP requests.", {"path", "status"});
  requests.inc({"/v1/models", "200"});
  requests.inc({"/v1/chat/completions", "200"}, 2);
  requests.inc({"/v1/chat/completions", "200"});
  const std::vector<std::string> expected = {
      "# HELP r1_requests_total HTTP requests.",
      "# TYPE r1_requests_total counter",
      "r1_requests_total{path=\"/v1/chat/completions\",status=\"200\"} 3",
      "r1_requests_total{path=\"/v1/models\",status=\"200\"} 1",
  };
  EXPECT_EQ(lines_of(registry.render()), expected);
  EXPECT_EQ(requests.value({"/v1/models", "200"}), 1.0);
}

TEST(Metrics, UnlabelledCounterStartsAtZeroAndIgnoresNegative) {
  MetricsRegistry registry;
  Counter& tokens = registry.counter("generation_tokens_total", "Tokens.");
  EXPECT_EQ(lines_of(registry.render()).back(), "r1_generation_tokens_total 0");
  tokens.inc({}, 5);
  tokens.inc({}, -3);
  EXPECT_EQ(lines_of(registry.render()).back(), "r1_generation_tokens_total 5");
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  Counter& counter = registry.counter("x_total", "a\\b\nc", {"v"});
  counter.inc({"q\"b\\n\n"});
  const auto lines = lines_of(registry.render());
  EXPECT_EQ(lines[0], "# HELP r1_x_total a\\\\b\\nc");
  EXPECT_EQ(lines[2], "r1_x_total{v=\"q\\\"b\\\\n\\n\"} 1");
}

TEST(Metrics, Gauge) {
  MetricsRegistry registry;
  Gauge& queue = registry.gauge("queue_length", "Waiting requests.");
  queue.set(3);
  queue.add(-1);
  queue.add(0.5);
  const std::vector<std::string> expected = {
      "# HELP r1_queue_length Waiting requests.",
      "# TYPE r1_queue_length gauge",
      "r1_queue_length 2.5",
  };
  EXPECT_EQ(lines_of(registry.render()), expected);
}

TEST(Metrics, HistogramBucketsAreCumulativeAndLessOrEqual) {
  MetricsRegistry registry;
  Histogram& ttft = registry.histogram("ttft_seconds", "TTFT.", {0.125, 0.5, 1});
  ttft.observe(0.0625);
  ttft.observe(0.125);  // == bound: counts in le="0.125"
  ttft.observe(0.75);
  ttft.observe(3);
  const std::vector<std::string> expected = {
      "# HELP r1_ttft_seconds TTFT.",
      "# TYPE r1_ttft_seconds histogram",
      "r1_ttft_seconds_bucket{le=\"0.125\"} 2",
      "r1_ttft_seconds_bucket{le=\"0.5\"} 2",
      "r1_ttft_seconds_bucket{le=\"1\"} 3",
      "r1_ttft_seconds_bucket{le=\"+Inf\"} 4",
      "r1_ttft_seconds_sum 3.9375",
      "r1_ttft_seconds_count 4",
  };
  EXPECT_EQ(lines_of(registry.render()), expected);
}

TEST(Metrics, RendersInRegistrationOrder) {
  MetricsRegistry registry;
  registry.gauge("b", "B.");
  registry.gauge("a", "A.");
  const auto lines = lines_of(registry.render());
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[2], "r1_b 0");
  EXPECT_EQ(lines[5], "r1_a 0");
}

TEST(Metrics, RejectsBadRegistrations) {
  MetricsRegistry registry;
  registry.gauge("g", "G.");
  EXPECT_THROW(registry.gauge("g", "again"), Error);
  EXPECT_THROW(registry.gauge("9lives", "bad name"), Error);
  EXPECT_THROW(registry.gauge("has-dash", "bad name"), Error);
  EXPECT_THROW(registry.counter("c", "bad label", {"le"}), Error);
  EXPECT_THROW(registry.histogram("h", "unsorted", {1, 0.5}), Error);
  Counter& counter = registry.counter("c2", "C.", {"a"});
  EXPECT_THROW(counter.inc({}), Error);  // wrong number of label values
}

TEST(Metrics, FormatsValues) {
  EXPECT_EQ(format_metric_value(3), "3");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(-2), "-2");
  EXPECT_EQ(format_metric_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_metric_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_metric_value(0.0 / 0.0), "NaN");
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  Counter& counter = registry.counter("n_total", "N.", {"t"});
  Histogram& histogram = registry.histogram("h_seconds", "H.", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        counter.inc({"x"});
        histogram.observe(0.5);
        if (i % 100 == 0) (void)registry.render();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value({"x"}), 4000.0);
  EXPECT_EQ(histogram.count(), 4000u);
}

TEST(Metrics, ServerMetricsHaveTheirNames) {
  MetricsRegistry registry;
  ServerMetrics metrics(registry);
  metrics.requests.inc({"/v1/completions", "400"});
  const std::string text = registry.render();
  for (const char* name :
       {"# TYPE r1_requests_total counter", "# TYPE r1_queue_length gauge",
        "# TYPE r1_active_sequences gauge", "# TYPE r1_kv_blocks_used gauge",
        "# TYPE r1_kv_blocks_free gauge", "# TYPE r1_time_to_first_token_seconds histogram",
        "# TYPE r1_inter_token_latency_seconds histogram",
        "# TYPE r1_request_duration_seconds histogram",
        "r1_requests_total{path=\"/v1/completions\",status=\"400\"} 1"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace r1::server
