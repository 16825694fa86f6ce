// A small thread-safe Prometheus registry for what the server reports on GET /metrics, rendered
// in the text exposition format 0.0.4 (# HELP, # TYPE, one sample per line, histograms as
// cumulative _bucket{le="..."} lines ending with le="+Inf", then _sum and _count).
//
// Metric names get the "r1_" prefix here (register "requests_total", scrape
// "r1_requests_total"). Metrics render in registration order; the label sets of a counter in
// sorted order of their values. Updates lock only the metric they touch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace r1::server {

/// A counter family with fixed label names; each distinct list of label values is one series.
class Counter {
 public:
  /// Adds `amount` (>= 0; a negative amount is ignored, counters only go up) to the series with
  /// these label values (one value per label name, in the same order).
  void inc(const std::vector<std::string>& label_values = {}, double amount = 1.0);
  double value(const std::vector<std::string>& label_values = {}) const;

 private:
  friend class MetricsRegistry;
  explicit Counter(std::vector<std::string> label_names) : label_names_(std::move(label_names)) {}
  std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, double> series_;
};

/// A value that goes up and down (queue length, active sequences, KV blocks).
class Gauge {
 public:
  void set(double value);
  void add(double amount);
  double value() const;

 private:
  friend class MetricsRegistry;
  Gauge() = default;
  mutable std::mutex mutex_;
  double value_ = 0.0;
};

/// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit).
class Histogram {
 public:
  void observe(double value);
  std::uint64_t count() const;
  double sum() const;

 private:
  friend class MetricsRegistry;
  explicit Histogram(std::vector<double> bounds);
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> bucket_counts_;  // per bound, not cumulative; last = above all
  double sum_ = 0.0;
  std::uint64_t count_ = 0;
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  /// The returned references stay valid as long as the registry. Registering a name twice, a name
  /// or label that is not [a-zA-Z_][a-zA-Z0-9_]*, or unsorted / non-finite buckets throws
  /// Error(invalid_argument).
  Counter& counter(std::string_view name, std::string_view help,
                   std::vector<std::string> label_names = {});
  Gauge& gauge(std::string_view name, std::string_view help);
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds);

  /// All metrics in the Prometheus text format (Content-Type: text/plain; version=0.0.4).
  std::string render() const;

 private:
  enum class Kind { counter, gauge, histogram };
  struct Entry {
    Kind kind;
    std::string name;  // with the r1_ prefix
    std::string help;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  // Checks the name, adds the prefix and appends the fully built entry under the lock.
  void add(std::unique_ptr<Entry> entry, std::string_view name, std::string_view help);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

/// Prometheus number text: integers without a fraction ("3"), others shortest round-trip
/// ("0.25"), "+Inf", "-Inf", "NaN".
std::string format_metric_value(double value);

/// The metrics the server reports, registered in one place so their names and buckets are fixed.
struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry& registry);

  Counter& requests;           ///< r1_requests_total{path, status}
  Counter& prompt_tokens;      ///< r1_prompt_tokens_total
  Counter& generation_tokens;  ///< r1_generation_tokens_total
  Gauge& queue_length;         ///< r1_queue_length
  Gauge& active_sequences;     ///< r1_active_sequences
  Gauge& kv_blocks_used;       ///< r1_kv_blocks_used
  Gauge& kv_blocks_cached;     ///< r1_kv_blocks_cached
  Gauge& kv_blocks_free;       ///< r1_kv_blocks_free
  Histogram& time_to_first_token;  ///< r1_time_to_first_token_seconds
  Histogram& inter_token_latency;  ///< r1_inter_token_latency_seconds
  Histogram& request_duration;     ///< r1_request_duration_seconds
};

}  // namespace r1::server
