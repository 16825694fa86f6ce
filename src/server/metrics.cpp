// Prometheus counters, gauges, histograms and the text exposition format.
#include "server/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "r1/error.h"

namespace r1::server {

namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (digit && i > 0))) return false;
  }
  return true;
}

// HELP text escapes backslash and newline; label values also escape the double quote.
std::string escape(std::string_view text, bool quote) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_text(const std::vector<std::string>& names,
                       const std::vector<std::string>& values) {
  if (names.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    out += names[i] + "=\"" + escape(values[i], true) + "\"";
  }
  return out + "}";
}

}  // namespace

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void Counter::inc(const std::vector<std::string>& label_values, double amount) {
  if (label_values.size() != label_names_.size()) {
    throw Error(ErrorCode::invalid_argument,
                "metrics: counter needs " + std::to_string(label_names_.size()) +
                    " label values, got " + std::to_string(label_values.size()));
  }
  if (!(amount >= 0.0)) return;
  const std::lock_guard<std::mutex> lock(mutex_);
  series_[label_values] += amount;
}

double Counter::value(const std::vector<std::string>& label_values) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = series_.find(label_values);
  return it == series_.end() ? 0.0 : it->second;
}

void Gauge::set(double value) {
  const std::lock_guard<std::mutex> lock(mutex_);
  value_ = value;
}

void Gauge::add(double amount) {
  const std::lock_guard<std::mutex> lock(mutex_);
  value_ += amount;
}

double Gauge::value() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return value_;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), bucket_counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  // Prometheus buckets are "less or equal": value == bound counts in that bucket.
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  const std::lock_guard<std::mutex> lock(mutex_);
  ++bucket_counts_[std::isnan(value) ? bounds_.size() : bucket];
  sum_ += value;
  ++count_;
}

std::uint64_t Histogram::count() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return count_;
}

double Histogram::sum() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return sum_;
}

void MetricsRegistry::add(std::unique_ptr<Entry> entry, std::string_view name,
                          std::string_view help) {
  if (!valid_name(name)) {
    throw Error(ErrorCode::invalid_argument,
                "metrics: '" + std::string(name) + "' is not a valid metric name");
  }
  entry->name = "r1_" + std::string(name);
  entry->help = std::string(help);
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& existing : entries_) {
    if (existing->name == entry->name) {
      throw Error(ErrorCode::invalid_argument, "metrics: " + entry->name + " is registered twice");
    }
  }
  entries_.push_back(std::move(entry));
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names) {
  for (const std::string& label : label_names) {
    if (!valid_name(label) || label == "le") {
      throw Error(ErrorCode::invalid_argument,
                  "metrics: '" + label + "' is not a valid label name");
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->kind = Kind::counter;
  entry->counter.reset(new Counter(std::move(label_names)));
  Counter& ref = *entry->counter;
  add(std::move(entry), name, help);
  return ref;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help) {
  auto entry = std::make_unique<Entry>();
  entry->kind = Kind::gauge;
  entry->gauge.reset(new Gauge());
  Gauge& ref = *entry->gauge;
  add(std::move(entry), name, help);
  return ref;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      throw Error(ErrorCode::invalid_argument,
                  "metrics: histogram buckets of " + std::string(name) +
                      " must be finite and strictly ascending");
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->kind = Kind::histogram;
  entry->histogram.reset(new Histogram(std::move(bounds)));
  Histogram& ref = *entry->histogram;
  add(std::move(entry), name, help);
  return ref;
}

std::string MetricsRegistry::render() const {
  std::string out;
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& entry : entries_) {
    out += "# HELP " + entry->name + " " + escape(entry->help, false) + "\n";
    switch (entry->kind) {
      case Kind::counter: {
        out += "# TYPE " + entry->name + " counter\n";
        const Counter& counter = *entry->counter;
        const std::lock_guard<std::mutex> series_lock(counter.mutex_);
        if (counter.label_names_.empty() && counter.series_.empty()) {
          out += entry->name + " 0\n";  // an unlabelled counter exists from the start
        }
        for (const auto& [values, value] : counter.series_) {
          out += entry->name + label_text(counter.label_names_, values) + " " +
                 format_metric_value(value) + "\n";
        }
        break;
      }
      case Kind::gauge:
        out += "# TYPE " + entry->name + " gauge\n";
        out += entry->name + " " + format_metric_value(entry->gauge->value()) + "\n";
        break;
      case Kind::histogram: {
        out += "# TYPE " + entry->name + " histogram\n";
        const Histogram& histogram = *entry->histogram;
        const std::lock_guard<std::mutex> data_lock(histogram.mutex_);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < histogram.bounds_.size(); ++i) {
          cumulative += histogram.bucket_counts_[i];
          out += entry->name + "_bucket{le=\"" + format_metric_value(histogram.bounds_[i]) +
                 "\"} " + std::to_string(cumulative) + "\n";
        }
        out += entry->name + "_bucket{le=\"+Inf\"} " + std::to_string(histogram.count_) + "\n";
        out += entry->name + "_sum " + format_metric_value(histogram.sum_) + "\n";
        out += entry->name + "_count " + std::to_string(histogram.count_) + "\n";
        break;
      }
    }
  }
  return out;
}

namespace {
// Latency buckets in seconds: TTFT spans prefill of long prompts; inter-token latency is one
// decode step (milliseconds on a GPU, tens of milliseconds on a CPU).
const std::vector<double> kTtftBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const std::vector<double> kItlBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,   0.25,   0.5,   1,    2.5};
const std::vector<double> kDurationBuckets = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
}  // namespace

ServerMetrics::ServerMetrics(MetricsRegistry& registry)
    : requests(registry.counter("requests_total", "HTTP requests by path and status code.",
                                {"path", "status"})),
      prompt_tokens(registry.counter("prompt_tokens_total", "Prompt tokens processed.")),
      generation_tokens(registry.counter("generation_tokens_total", "Tokens generated.")),
      queue_length(registry.gauge("queue_length", "Requests waiting to be scheduled.")),
      active_sequences(registry.gauge("active_sequences", "Sequences being generated.")),
      kv_blocks_used(registry.gauge("kv_blocks_used", "KV cache blocks held by running sequences.")),
      kv_blocks_cached(registry.gauge(
          "kv_blocks_cached", "KV cache blocks held only as prefix cache (reclaimed on demand).")),
      kv_blocks_free(registry.gauge("kv_blocks_free", "KV cache blocks free.")),
      time_to_first_token(registry.histogram("time_to_first_token_seconds",
                                             "Seconds from request arrival to the first token.",
                                             kTtftBuckets)),
      inter_token_latency(registry.histogram("inter_token_latency_seconds",
                                             "Seconds between consecutive tokens of a sequence.",
                                             kItlBuckets)),
      request_duration(registry.histogram("request_duration_seconds",
                                          "Seconds from request arrival to its last byte.",
                                          kDurationBuckets)) {}

}  // namespace r1::server
