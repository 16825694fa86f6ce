// QuantType's table against ggml's (ggml.h enum ggml_type and ggml-common.h block structs).
#include <gtest/gtest.h>

#include <string>

#include "quant/quant_type.h"
#include "r1/error.h"

namespace r1::quant {
namespace {

TEST(QuantType, TableMatchesGgml) {
  struct Expected {
    QuantType type;
    const char* name;
    int ggml_id;
    std::int64_t elements;
    std::int64_t bytes;
  };
  const Expected expected[] = {
      {QuantType::q8_0, "q8_0", 8, 32, 34},    {QuantType::q4_0, "q4_0", 2, 32, 18},
      {QuantType::q4_1, "q4_1", 3, 32, 20},    {QuantType::q5_0, "q5_0", 6, 32, 22},
      {QuantType::q5_1, "q5_1", 7, 32, 24},    {QuantType::q8_1, "q8_1", 9, 32, 36},
      {QuantType::q4_k, "q4_k", 12, 256, 144}, {QuantType::q5_k, "q5_k", 13, 256, 176},
      {QuantType::q6_k, "q6_k", 14, 256, 210}, {QuantType::q8_k, "q8_k", 15, 256, 292},
  };
  ASSERT_EQ(std::size(expected), std::size(all_quant_types));
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.name);
    EXPECT_STREQ(quant_type_name(e.type), e.name);
    EXPECT_EQ(ggml_type_id(e.type), e.ggml_id);
    EXPECT_EQ(block_elements(e.type), e.elements);
    EXPECT_EQ(block_bytes(e.type), e.bytes);
    EXPECT_EQ(parse_quant_type(e.name), e.type);
    EXPECT_EQ(quant_type_from_ggml_id(e.ggml_id), e.type);
  }
}

TEST(QuantType, ParseIsCaseInsensitiveAndRejectsUnknownNames) {
  EXPECT_EQ(parse_quant_type("Q4_K"), QuantType::q4_k);
  EXPECT_EQ(parse_quant_type("Q8_0"), QuantType::q8_0);
  try {
    parse_quant_type("q3_k");
    FAIL() << "q3_k is not supported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("'q3_k'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("q6_k"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(quant_type_from_ggml_id(0).has_value());   // f32
  EXPECT_FALSE(quant_type_from_ggml_id(10).has_value());  // q2_K
}

TEST(QuantType, RowBytes) {
  EXPECT_EQ(row_bytes(QuantType::q8_0, 0), 0);
  EXPECT_EQ(row_bytes(QuantType::q8_0, 1536), 48 * 34);
  EXPECT_EQ(row_bytes(QuantType::q4_k, 1536), 6 * 144);
  EXPECT_EQ(row_bytes(QuantType::q6_k, 8960), 35 * 210);
  EXPECT_EQ(row_blocks(QuantType::q5_0, 64), 2);
}

TEST(QuantType, RowBytesRejectsPartialBlocksNamingTypeAndLength) {
  for (const auto& [type, n] : {std::pair{QuantType::q4_0, std::int64_t{33}},
                                {QuantType::q4_k, std::int64_t{128}},
                                {QuantType::q6_k, std::int64_t{-256}}}) {
    try {
      row_bytes(type, n);
      FAIL() << quant_type_name(type) << " " << n;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(message.find(quant_type_name(type)), std::string::npos) << message;
      EXPECT_NE(message.find(std::to_string(n)), std::string::npos) << message;
      EXPECT_NE(message.find(std::to_string(block_elements(type))), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace r1::quant

namespace r1::quant {
namespace {

// core's DType table (used by the ops and loaders) and this module's ggml table must agree.
TEST(QuantType, DTypeBlocksAgreeWithTheGgmlTable) {
  int quantized = 0;
  for (DType dtype : all_dtypes) {
    const auto type = quant_type_of(dtype);
    EXPECT_EQ(type.has_value(), is_quantized(dtype)) << dtype_cli_name(dtype);
    if (!type) continue;
    ++quantized;
    EXPECT_EQ(block_elements(*type), dtype_block_elements(dtype)) << dtype_cli_name(dtype);
    EXPECT_EQ(block_bytes(*type), dtype_block_bytes(dtype)) << dtype_cli_name(dtype);
    EXPECT_STREQ(quant_type_name(*type), dtype_cli_name(dtype));
  }
  EXPECT_EQ(quantized, 8);
}

}  // namespace
}  // namespace r1::quant
