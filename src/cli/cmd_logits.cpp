// r1 logits: the next-token logits of the last position of a token sequence, as JSON.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generation_options.h"
#include "cli/model_source.h"
#include "cli/token_ids.h"
#include "core/file.h"
#include "model/loaded_model.h"

namespace r1::cli {

int run_logits(int argc, char** argv, int first) {
  Args args(
      "logits",
      {
          value_option("model", "M", "Model folder or Hugging Face repo id", "", Required::yes),
          offline_option(),
          value_option("ids", "IDS", "Token ids: 1,2,3 or [1, 2, 3]", "", Required::yes),
          value_option("top", "K", "Print only the K largest logits as [id, logit]"),
          value_option("threads", "N", "CPU threads (default: the physical cores)"),
          quant_option(),
          device_option(),
          value_option("dump", "FILE",
                       "Also write every named intermediate (layer.N.attn_out, layer.N.out, "
                       "norm.out) of every position to FILE as JSON {name: [[...], ...]}"),
      });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Prints {\"n_vocab\": N, \"logits\": [...]} for the last position, or with --top K "
        "{\"top\": [[id, logit], ...]}.");
    return 0;
  }
  const std::vector<TokenId> ids = parse_token_ids(args.get("ids"));
  if (ids.empty()) throw UsageError{"--ids needs at least one token id"};
  const auto model = load_model_as_asked(locate_model(args), load_options(args));
  report_unexpected_tensors(*model);
  nlohmann::json dump = nlohmann::json::object();
  if (args.has("dump")) {
    model->transformer->set_trace([&](const model::TraceTensor& t) {
      nlohmann::json& rows = dump[std::string(t.name)];
      for (std::int64_t i = 0; i < t.n_tokens; ++i)
        rows.push_back(std::vector<float>(t.data + i * t.dim, t.data + (i + 1) * t.dim));
    });
  }
  const auto ctx = static_cast<std::int32_t>(std::min<std::int64_t>(
      static_cast<std::int64_t>(ids.size()), model->config.max_position_embeddings));
  model::KvCache cache(model->config, 1, ctx, DType::f32, 0,
                       model->transformer->backend().memory());
  model::Batch batch;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    batch.add(ids[i], static_cast<std::int32_t>(i), 0, i + 1 == ids.size());
  }
  std::vector<float> logits;
  model->transformer->forward(batch, cache, logits);
  if (args.has("dump")) write_text_file(args.get("dump"), dump.dump() + "\n");

  nlohmann::json out;
  if (args.has("top")) {
    const int k = std::clamp(args.get_int("top"), 1, static_cast<int>(logits.size()));
    std::vector<std::int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](std::int32_t a, std::int32_t b) {
                        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
                      });
    out["top"] = nlohmann::json::array();
    for (int i = 0; i < k; ++i) out["top"].push_back({order[i], logits[order[i]]});
  } else {
    out["n_vocab"] = logits.size();
    out["logits"] = logits;
  }
  const std::string text = out.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace r1::cli
