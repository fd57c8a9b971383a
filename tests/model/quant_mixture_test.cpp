// llama.cpp's per-tensor quantisation rules on synthetic tensor lists. Every
// expectation is worked out by hand from src/llama-quant.cpp
// (llama_tensor_get_type_impl, tensor_type_fallback); the comments say how.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gguf/gguf_writer.h"
#include "model/quant_mixture.h"

namespace rocmforge::model {
namespace {

using gguf::GgmlType;
using gguf::TensorInfo;

TensorInfo tensor(std::string name, std::vector<int64_t> ne, GgmlType type = GgmlType::kF16) {
  TensorInfo t;
  t.name = std::move(name);
  t.type = type;
  t.n_dims = static_cast<int>(ne.size());
  for (size_t d = 0; d < ne.size(); ++d) t.ne[d] = ne[d];
  return t;
}

struct Shape {
  int n_layer = 32;
  int64_t n_embd = 4096;
  int64_t n_ff = 14336;
  int64_t n_vocab = 32000;
  int n_expert = 0;
  bool tied = false;
  bool shared_expert = false;  // a second ffn_down per layer (Qwen2-MoE's ffn_down_shexp)
};

// A llama-shaped model's tensors (F16 weights, F32 norms), in file order.
std::vector<TensorInfo> llama_tensors(const Shape& s) {
  std::vector<TensorInfo> out = {tensor("token_embd.weight", {s.n_embd, s.n_vocab}),
                                 tensor("output_norm.weight", {s.n_embd}, GgmlType::kF32)};
  if (!s.tied) out.push_back(tensor("output.weight", {s.n_embd, s.n_vocab}));
  for (int i = 0; i < s.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    out.push_back(tensor(b + "attn_norm.weight", {s.n_embd}, GgmlType::kF32));
    out.push_back(tensor(b + "attn_q.weight", {s.n_embd, s.n_embd}));
    out.push_back(tensor(b + "attn_k.weight", {s.n_embd, 1024}));
    out.push_back(tensor(b + "attn_v.weight", {s.n_embd, 1024}));
    out.push_back(tensor(b + "attn_output.weight", {s.n_embd, s.n_embd}));
    out.push_back(tensor(b + "ffn_norm.weight", {s.n_embd}, GgmlType::kF32));
    if (s.n_expert > 0) {
      out.push_back(tensor(b + "ffn_gate_inp.weight", {s.n_embd, s.n_expert}, GgmlType::kF32));
      out.push_back(tensor(b + "ffn_gate_exps.weight", {s.n_embd, s.n_ff, s.n_expert}));
      out.push_back(tensor(b + "ffn_up_exps.weight", {s.n_embd, s.n_ff, s.n_expert}));
      out.push_back(tensor(b + "ffn_down_exps.weight", {s.n_ff, s.n_embd, s.n_expert}));
      if (s.shared_expert) out.push_back(tensor(b + "ffn_down_shexp.weight", {s.n_ff, s.n_embd}));
    } else {
      out.push_back(tensor(b + "ffn_gate.weight", {s.n_embd, s.n_ff}));
      out.push_back(tensor(b + "ffn_up.weight", {s.n_embd, s.n_ff}));
      out.push_back(tensor(b + "ffn_down.weight", {s.n_ff, s.n_embd}));
    }
  }
  return out;
}

MixtureModel llama_model(int n_layer, int n_head, int n_head_kv, int n_expert = 0, std::string arch = "llama") {
  return MixtureModel{std::move(arch), n_layer, 0, n_head, n_head_kv, n_expert};
}

FileTypeInfo file_type(std::string_view name) { return parse_file_type(name).value(); }

// name -> chosen type, with the tensors in quantize_order as llama.cpp walks them.
std::map<std::string, GgmlType> types_of(const MixtureModel& model, const std::vector<TensorInfo>& tensors,
                                         std::string_view ftype, bool pure = false) {
  const std::vector<TensorInfo> ordered = quantize_order(tensors);
  const auto choices = choose_tensor_types(model, ordered, file_type(ftype), pure);
  EXPECT_TRUE(choices.has_value()) << choices.error().message();
  std::map<std::string, GgmlType> out;
  for (size_t i = 0; i < ordered.size(); ++i) out[ordered[i].name] = (*choices)[i].type;
  return out;
}

std::string blk(int i, const char* role) { return "blk." + std::to_string(i) + "." + role + ".weight"; }

// use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2.
// n = 32: i < 4, i >= 28, and i = 6, 9, ..., 27.
const std::set<int> kMoreBits32 = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};
// n = 24: i < 3, i >= 21, and i = 5, 8, ..., 20.
const std::set<int> kMoreBits24 = {0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23};

TEST(QuantMixture, Q4KMOn32LayerLlamaBumpsAttnVAndFfnDownWhereUseMoreBits) {
  const auto t = types_of(llama_model(32, 32, 8), llama_tensors({}), "Q4_K_M");
  EXPECT_EQ(t.at("output.weight"), GgmlType::kQ6_K);  // the output head always gets Q6_K
  EXPECT_EQ(t.at("token_embd.weight"), GgmlType::kQ4_K);
  EXPECT_EQ(t.at("output_norm.weight"), GgmlType::kF32);
  int n_q6 = 0;
  for (int i = 0; i < 32; ++i) {
    // attn_v's counter and ffn_down's both equal the layer: one of each per block, in block order.
    const GgmlType bumped = kMoreBits32.contains(i) ? GgmlType::kQ6_K : GgmlType::kQ4_K;
    EXPECT_EQ(t.at(blk(i, "attn_v")), bumped) << i;
    EXPECT_EQ(t.at(blk(i, "ffn_down")), bumped) << i;
    n_q6 += bumped == GgmlType::kQ6_K;
    for (const char* role : {"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"}) {
      EXPECT_EQ(t.at(blk(i, role)), GgmlType::kQ4_K) << blk(i, role);
    }
    EXPECT_EQ(t.at(blk(i, "attn_norm")), GgmlType::kF32);
  }
  EXPECT_EQ(n_q6, 16);
}

TEST(QuantMixture, TiedEmbeddingTakesTheOutputHeadsType) {
  Shape tied;
  tied.tied = true;
  // No output.weight: token_embd is the head, so the head's rule applies to it.
  EXPECT_EQ(types_of(llama_model(32, 32, 8), llama_tensors(tied), "Q4_K_M").at("token_embd.weight"), GgmlType::kQ6_K);
  EXPECT_EQ(types_of(llama_model(32, 32, 8), llama_tensors(tied), "Q4_0").at("token_embd.weight"), GgmlType::kQ6_K);
  // ... except that a Q8_0 head stays Q8_0 ...
  EXPECT_EQ(types_of(llama_model(32, 32, 8), llama_tensors(tied), "Q8_0").at("token_embd.weight"), GgmlType::kQ8_0);
  // ... and a row that is not whole 256-blocks (2880 = 11.25 x 256) makes it Q8_0.
  tied.n_embd = 2880;
  EXPECT_EQ(types_of(llama_model(32, 32, 8), llama_tensors(tied), "Q4_K_M").at("token_embd.weight"), GgmlType::kQ8_0);
  // Untied, a legacy type's head is still Q6_K and the embedding keeps the file's type.
  const auto untied = types_of(llama_model(32, 32, 8), llama_tensors({}), "Q4_0");
  EXPECT_EQ(untied.at("output.weight"), GgmlType::kQ6_K);
  EXPECT_EQ(untied.at("token_embd.weight"), GgmlType::kQ4_0);
  EXPECT_EQ(untied.at(blk(0, "ffn_down")), GgmlType::kQ4_0);
}

TEST(QuantMixture, Q2KGivesAttnVMoreBitsWithGqaOfFourOrMore) {
  // GQA 32/8 = 4: attn_v Q4_K; GQA 1: Q3_K. ffn_down and attn_output Q3_K either way.
  for (const auto& [n_head_kv, attn_v] : {std::pair{8, GgmlType::kQ4_K}, std::pair{32, GgmlType::kQ3_K}}) {
    const auto t = types_of(llama_model(32, 32, n_head_kv), llama_tensors({}), "Q2_K");
    EXPECT_EQ(t.at(blk(5, "attn_v")), attn_v);
    EXPECT_EQ(t.at(blk(5, "ffn_down")), GgmlType::kQ3_K);
    EXPECT_EQ(t.at(blk(5, "attn_output")), GgmlType::kQ3_K);
    EXPECT_EQ(t.at(blk(5, "attn_q")), GgmlType::kQ2_K);
    EXPECT_EQ(t.at(blk(5, "ffn_up")), GgmlType::kQ2_K);
    EXPECT_EQ(t.at("output.weight"), GgmlType::kQ6_K);
  }
}

TEST(QuantMixture, Q3KMixtures) {
  const auto m = types_of(llama_model(32, 32, 8), llama_tensors({}), "Q3_K_M");
  // attn_v: Q5_K for the first two (i_attention_wv < 2), then Q4_K.
  EXPECT_EQ(m.at(blk(0, "attn_v")), GgmlType::kQ5_K);
  EXPECT_EQ(m.at(blk(1, "attn_v")), GgmlType::kQ5_K);
  EXPECT_EQ(m.at(blk(2, "attn_v")), GgmlType::kQ4_K);
  // ffn_down: Q5_K below n/16 = 2, then Q4_K (not falcon); attn_output Q4_K.
  EXPECT_EQ(m.at(blk(1, "ffn_down")), GgmlType::kQ5_K);
  EXPECT_EQ(m.at(blk(2, "ffn_down")), GgmlType::kQ4_K);
  EXPECT_EQ(m.at(blk(7, "attn_output")), GgmlType::kQ4_K);
  EXPECT_EQ(m.at(blk(7, "attn_q")), GgmlType::kQ3_K);
  // Q3_K_L: attn_v, ffn_down and attn_output all Q5_K.
  const auto l = types_of(llama_model(32, 32, 8), llama_tensors({}), "Q3_K_L");
  for (const char* role : {"attn_v", "ffn_down", "attn_output"}) EXPECT_EQ(l.at(blk(9, role)), GgmlType::kQ5_K);
  EXPECT_EQ(l.at(blk(9, "ffn_gate")), GgmlType::kQ3_K);
  // Q3_K_S: only the head differs.
  const auto s = types_of(llama_model(32, 32, 8), llama_tensors({}), "Q3_K_S");
  for (const char* role : {"attn_v", "ffn_down", "attn_output"}) EXPECT_EQ(s.at(blk(0, role)), GgmlType::kQ3_K);
}

TEST(QuantMixture, SmallAndLargeKMixtures) {
  // Q4_K_S: attn_v Q5_K while i_attention_wv < 4, ffn_down Q5_K below n/8 = 4.
  const auto q4s = types_of(llama_model(32, 32, 8), llama_tensors({}), "Q4_K_S");
  EXPECT_EQ(q4s.at(blk(3, "attn_v")), GgmlType::kQ5_K);
  EXPECT_EQ(q4s.at(blk(4, "attn_v")), GgmlType::kQ4_K);
  EXPECT_EQ(q4s.at(blk(3, "ffn_down")), GgmlType::kQ5_K);
  EXPECT_EQ(q4s.at(blk(4, "ffn_down")), GgmlType::kQ4_K);
  // Q5_K_M: Q4_K_M's pattern over Q5_K.
  const auto q5m = types_of(llama_model(32, 32, 8), llama_tensors({}), "Q5_K_M");
  for (int i = 0; i < 32; ++i) {
    const GgmlType bumped = kMoreBits32.contains(i) ? GgmlType::kQ6_K : GgmlType::kQ5_K;
    EXPECT_EQ(q5m.at(blk(i, "attn_v")), bumped) << i;
    EXPECT_EQ(q5m.at(blk(i, "ffn_down")), bumped) << i;
  }
  // Q5_K_S and Q6_K: uniform but for the head (Q6_K, which Q6_K already is).
  EXPECT_EQ(types_of(llama_model(32, 32, 8), llama_tensors({}), "Q5_K_S").at(blk(0, "ffn_down")), GgmlType::kQ5_K);
  EXPECT_EQ(types_of(llama_model(32, 32, 8), llama_tensors({}), "Q6_K").at(blk(0, "attn_v")), GgmlType::kQ6_K);
}

TEST(QuantMixture, Iq4Mixtures) {
  // GQA >= 4: attn_v Q5_K; ffn_down Q5_K below n/8 = 4 (no importance matrix).
  const auto xs = types_of(llama_model(32, 32, 8), llama_tensors({}), "IQ4_XS");
  EXPECT_EQ(xs.at(blk(10, "attn_v")), GgmlType::kQ5_K);
  EXPECT_EQ(xs.at(blk(3, "ffn_down")), GgmlType::kQ5_K);
  EXPECT_EQ(xs.at(blk(4, "ffn_down")), GgmlType::kIQ4_XS);
  EXPECT_EQ(xs.at(blk(4, "attn_q")), GgmlType::kIQ4_XS);
  EXPECT_EQ(xs.at("output.weight"), GgmlType::kQ6_K);
  const auto nl = types_of(llama_model(32, 32, 32), llama_tensors({}), "IQ4_NL");  // GQA 1
  EXPECT_EQ(nl.at(blk(10, "attn_v")), GgmlType::kIQ4_NL);
  EXPECT_EQ(nl.at(blk(0, "ffn_down")), GgmlType::kQ5_K);
}

TEST(QuantMixture, EightExpertsGetQ8AttentionKAndVAndQ5AttentionOutput) {
  Shape mixtral;
  mixtral.n_expert = 8;
  const auto t = types_of(llama_model(32, 32, 8, 8), llama_tensors(mixtral), "Q4_K_M");
  for (int i : {0, 5, 31}) {
    EXPECT_EQ(t.at(blk(i, "attn_v")), GgmlType::kQ8_0);
    EXPECT_EQ(t.at(blk(i, "attn_k")), GgmlType::kQ8_0);
    EXPECT_EQ(t.at(blk(i, "attn_output")), GgmlType::kQ5_K);
    EXPECT_EQ(t.at(blk(i, "attn_q")), GgmlType::kQ4_K);
    EXPECT_EQ(t.at(blk(i, "ffn_gate_inp")), GgmlType::kF32);  // the router is never quantised
    EXPECT_EQ(t.at(blk(i, "ffn_gate_exps")), GgmlType::kQ4_K);
    EXPECT_EQ(t.at(blk(i, "ffn_down_exps")), kMoreBits32.contains(i) ? GgmlType::kQ6_K : GgmlType::kQ4_K);
  }
  // Q6_K is not in attn_output's 8-expert list: unchanged.
  EXPECT_EQ(types_of(llama_model(32, 32, 8, 8), llama_tensors(mixtral), "Q6_K").at(blk(3, "attn_output")),
            GgmlType::kQ6_K);
}

TEST(QuantMixture, ExpertModelsTakeTheFfnLayerFromTheName) {
  // Two ffn_down tensors per block: counting them would reach layer 2i, but an
  // expert model's layer is its block number, so both follow use_more_bits(i, 24).
  Shape qwen_moe;
  qwen_moe.n_layer = 24;
  qwen_moe.n_expert = 60;
  qwen_moe.shared_expert = true;
  const auto t = types_of(llama_model(24, 16, 16, 60, "qwen2moe"), llama_tensors(qwen_moe), "Q4_K_M");
  for (int i = 0; i < 24; ++i) {
    const GgmlType bumped = kMoreBits24.contains(i) ? GgmlType::kQ6_K : GgmlType::kQ4_K;
    EXPECT_EQ(t.at(blk(i, "ffn_down_exps")), bumped) << i;
    EXPECT_EQ(t.at(blk(i, "ffn_down_shexp")), bumped) << i;
  }
  // An FFN tensor outside any block cannot be placed.
  std::vector<TensorInfo> bad = llama_tensors(qwen_moe);
  bad.push_back(tensor("ffn_up_exps.weight", {4096, 14336, 60}));
  const auto choices = choose_tensor_types(llama_model(24, 16, 16, 60), quantize_order(bad), file_type("Q4_K_M"), false);
  ASSERT_FALSE(choices.has_value());
  EXPECT_EQ(choices.error().code(), ErrorCode::kParse);
  EXPECT_NE(choices.error().message().find("ffn_up_exps.weight"), std::string::npos);
}

TEST(QuantMixture, SeventyBillionLlamaGetsQ5KAttentionV) {
  // 80 layers with GQA (64/8 heads) is LLM_TYPE_70B: Q3_K/Q4_K attn_v become Q5_K.
  Shape llama70;
  llama70.n_layer = 80;
  const MixtureModel m70 = llama_model(80, 64, 8);
  EXPECT_TRUE(m70.is_70b());
  for (int i : {0, 2, 40, 79}) {
    EXPECT_EQ(types_of(m70, llama_tensors(llama70), "Q3_K_M").at(blk(i, "attn_v")), GgmlType::kQ5_K);
    EXPECT_EQ(types_of(m70, llama_tensors(llama70), "Q3_K_S").at(blk(i, "attn_v")), GgmlType::kQ5_K);
  }
  // Without GQA llama.cpp calls it 65B: no bump.
  const MixtureModel m65 = llama_model(80, 64, 64);
  EXPECT_FALSE(m65.is_70b());
  EXPECT_EQ(types_of(m65, llama_tensors(llama70), "Q3_K_S").at(blk(3, "attn_v")), GgmlType::kQ3_K);
  EXPECT_TRUE(llama_model(80, 64, 64, 0, "qwen2").is_70b());
  EXPECT_FALSE(llama_model(80, 64, 8, 8).is_70b());  // 8 experts: 8x22B-style, not 70B
}

TEST(QuantMixture, FalconRules) {
  const auto t = types_of(llama_model(32, 32, 8, 0, "falcon"), llama_tensors({}), "Q4_K_M");
  EXPECT_EQ(t.at("output.weight"), GgmlType::kQ8_0);  // falcon's head is always Q8_0
  // ffn_down: Q6_K below n/16 = 2, Q5_K where use_more_bits, else Q4_K.
  EXPECT_EQ(t.at(blk(1, "ffn_down")), GgmlType::kQ6_K);
  EXPECT_EQ(t.at(blk(2, "ffn_down")), GgmlType::kQ5_K);
  EXPECT_EQ(t.at(blk(4, "ffn_down")), GgmlType::kQ4_K);
  EXPECT_EQ(t.at(blk(6, "ffn_down")), GgmlType::kQ5_K);
  // Q3_K_M keeps ffn_down at Q3_K outside use_more_bits; Q3_K_L's attn_output is Q4_K.
  EXPECT_EQ(types_of(llama_model(32, 32, 8, 0, "falcon"), llama_tensors({}), "Q3_K_M").at(blk(4, "ffn_down")),
            GgmlType::kQ3_K);
  EXPECT_EQ(types_of(llama_model(32, 32, 8, 0, "falcon"), llama_tensors({}), "Q3_K_L").at(blk(4, "attn_output")),
            GgmlType::kQ4_K);
}

TEST(QuantMixture, RowsThatAreNotWholeBlocksFallBack) {
  // 2880 is whole 32-blocks but not 256-blocks; 1000 is neither.
  const MixtureModel m = llama_model(1, 1, 1);
  const std::vector<TensorInfo> tensors = {tensor("blk.0.attn_q.weight", {2880, 64}),
                                           tensor("blk.0.attn_k.weight", {1000, 64})};
  const std::map<std::string_view, GgmlType> kFallback32 = {
      {"Q2_K", GgmlType::kQ4_0}, {"Q3_K_S", GgmlType::kQ4_0}, {"Q4_K_S", GgmlType::kQ5_0},
      {"Q5_K_S", GgmlType::kQ5_1}, {"Q6_K", GgmlType::kQ8_0}, {"IQ4_XS", GgmlType::kIQ4_NL},
      {"Q4_0", GgmlType::kQ4_0}, {"Q8_0", GgmlType::kQ8_0}};
  for (const auto& [ftype, expected] : kFallback32) {
    const auto choices = choose_tensor_types(m, tensors, file_type(ftype), true).value();
    EXPECT_EQ(choices[0].type, expected) << ftype;
    EXPECT_EQ(choices[0].fallback, expected != file_type(ftype).default_type) << ftype;
    EXPECT_EQ(choices[1].type, GgmlType::kF16) << ftype;
    EXPECT_TRUE(choices[1].fallback) << ftype;
  }
}

TEST(QuantMixture, PureQuantisesEveryWeightToOneType) {
  Shape tied;
  tied.tied = true;
  const auto t = types_of(llama_model(32, 32, 8), llama_tensors(tied), "Q4_K_M", /*pure=*/true);
  for (const auto& [name, type] : t) {
    const bool norm = name.find("_norm") != std::string::npos;
    EXPECT_EQ(type, norm ? GgmlType::kF32 : GgmlType::kQ4_K) << name;
  }
}

TEST(QuantMixture, FloatFileTypesConvertOnlyTheQuantisableWeights) {
  std::vector<TensorInfo> tensors = {tensor("blk.0.attn_q.weight", {64, 64}, GgmlType::kBF16),
                                     tensor("blk.0.attn_q.bias", {64}, GgmlType::kF32),
                                     tensor("blk.0.attn_norm.weight", {64}, GgmlType::kF32),
                                     tensor("blk.0.ffn_gate_inp.weight", {64, 8}, GgmlType::kF32),
                                     tensor("position_embd.weight", {64, 128}, GgmlType::kF32),
                                     tensor("blk.0.ssm_conv1d.weight", {4, 64}, GgmlType::kF32),
                                     tensor("blk.0.attn_k.scale", {64, 64}, GgmlType::kF32)};
  const auto f16 = choose_tensor_types(llama_model(1, 1, 1), tensors, file_type("F16"), false).value();
  EXPECT_EQ(f16[0].type, GgmlType::kF16);
  for (size_t i = 1; i < tensors.size(); ++i) EXPECT_EQ(f16[i].type, tensors[i].type) << tensors[i].name;
  const auto f32 = choose_tensor_types(llama_model(1, 1, 1), tensors, file_type("F32"), false).value();
  EXPECT_EQ(f32[0].type, GgmlType::kF32);
}

TEST(QuantMixture, OrderIsByBlockNumberThenName) {
  const std::vector<TensorInfo> tensors = {tensor("blk.10.attn_q.weight", {32, 1}), tensor("token_embd.weight", {32, 1}),
                                           tensor("blk.2.ffn_up.weight", {32, 1}), tensor("blk.2.attn_q.weight", {32, 1}),
                                           tensor("output.weight", {32, 1}), tensor("output_norm.weight", {32})};
  std::vector<std::string> names;
  for (const TensorInfo& t : quantize_order(tensors)) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"output.weight", "output_norm.weight", "token_embd.weight",
                                             "blk.2.attn_q.weight", "blk.2.ffn_up.weight", "blk.10.attn_q.weight"}));
}

TEST(QuantFileType, ParsesLlamaQuantizeNamesAndNumbers) {
  EXPECT_EQ(parse_file_type("q4_k_m")->type, FileType::kQ4_K_M);
  EXPECT_EQ(parse_file_type("Q4_K")->type, FileType::kQ4_K_M);  // llama-quantize's alias
  EXPECT_EQ(parse_file_type("Q3_K")->type, FileType::kQ3_K_M);
  EXPECT_EQ(parse_file_type("15")->name, "Q4_K_M");
  EXPECT_EQ(parse_file_type("0")->default_type, GgmlType::kF32);
  EXPECT_EQ(parse_file_type("bf16")->type, FileType::kBF16);
  EXPECT_EQ(file_type_name(FileType::kQ5_K_M), "Q5_K_M");
  for (const FileTypeInfo& info : file_types()) EXPECT_EQ(parse_file_type(info.name)->type, info.type);
}

TEST(QuantFileType, RefusesWhatItCannotProduceByName) {
  for (std::string_view name : {"IQ2_XXS", "iq3_s", "Q2_K_S", "MXFP4_MOE", "19"}) {
    const auto parsed = parse_file_type(name);
    ASSERT_FALSE(parsed.has_value()) << name;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kUnsupported) << name;
  }
  EXPECT_NE(parse_file_type("19").error().message().find("IQ2_XXS"), std::string::npos);
  EXPECT_NE(parse_file_type("iq2_xxs").error().message().find("importance matrix"), std::string::npos);
  const auto unknown = parse_file_type("Q9_X");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message().find("Q4_K_M"), std::string::npos);
}

Result<MixtureModel> model_from(const std::function<void(gguf::GgufWriter&)>& edit, std::vector<std::byte>& bytes) {
  gguf::GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 80);
  edit(w);
  bytes = w.to_bytes().value();
  return read_mixture_model(gguf::GgufFile::parse(bytes).value());
}

TEST(QuantMixture, ReadsHyperparametersLikeLlamaCpp) {
  std::vector<std::byte> bytes;
  const auto per_layer = model_from(
      [](gguf::GgufWriter& w) {
        w.set_u32("llama.attention.head_count", 64);
        const std::vector<int32_t> kv(80, 8);
        w.set_i32_array("llama.attention.head_count_kv", kv);
      },
      bytes);
  ASSERT_TRUE(per_layer.has_value()) << per_layer.error().message();
  EXPECT_EQ(per_layer->n_head_kv, 8);
  EXPECT_EQ(per_layer->n_gqa(), 8);
  EXPECT_TRUE(per_layer->is_70b());
  // head_count_kv defaults to head_count; expert_count to 0.
  const auto plain = model_from([](gguf::GgufWriter& w) { w.set_u32("llama.attention.head_count", 64); }, bytes);
  EXPECT_EQ(plain->n_head_kv, 64);
  EXPECT_EQ(plain->n_expert, 0);
  gguf::GgufWriter no_arch;
  bytes = no_arch.to_bytes().value();
  const auto none = read_mixture_model(gguf::GgufFile::parse(bytes).value());
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message().find("not a model"), std::string::npos);
}

}  // namespace
}  // namespace rocmforge::model
