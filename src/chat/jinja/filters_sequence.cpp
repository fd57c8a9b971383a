// Filters over sequences: length, first, last, join, list, reverse, sort,
// dictsort, unique, items, select/reject(attr), map, batch, slice, sum, min,
// max. jinja2 returns generators from several of these; here they return
// lists, which iterate, test and `|list` the same way.
#include <algorithm>

#include <fmt/format.h>

#include "chat/jinja/access.h"
#include "chat/jinja/builtin_groups.h"
#include "chat/jinja/call_args.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

// jinja2's ignore_case: strings compare lower-cased unless case_sensitive.
Value sort_key(const Value& item, const std::optional<std::string>& attribute, bool case_sensitive) {
  Value key = attribute ? get_attribute_path(item, *attribute) : item;
  if (!case_sensitive && key.is_string()) key = Value::string(py_text::lower(key.as_string()));
  return key;
}

std::optional<std::string> attribute_arg(const Value& v) {
  if (v.is_none() || v.is_undefined()) return std::nullopt;
  return to_str(v);
}

Result<Value> length(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("length", std::move(args), {}));
  switch (input.kind()) {
    case Value::Kind::kUndefined:
      return Value::integer(0);
    case Value::Kind::kString:
      return Value::integer(static_cast<int64_t>(py_text::char_count(input.as_string())));
    case Value::Kind::kList:
      return Value::integer(static_cast<int64_t>(input.items().size()));
    case Value::Kind::kDict:
      return Value::integer(static_cast<int64_t>(input.as_dict().entries.size()));
    default:
      return RF_ERROR(kInvalidArgument, "object of type '{}' has no len()", input.type_name());
  }
}

Result<Value> first(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("first", std::move(args), {}));
  const std::vector<Value> items = RF_TRY(iterate(input));
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> last(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("last", std::move(args), {}));
  const std::vector<Value> items = RF_TRY(iterate(input));
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

Result<Value> join(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("join", std::move(args), {{"d", Value::string("")}, {"attribute", Value::none()}}));
  const std::string separator = to_str(a[0]);
  const auto attribute = attribute_arg(a[1]);
  const size_t max_bytes = interp.limits().max_output_bytes;
  std::string out;
  bool first_item = true;
  for (const Value& item : RF_TRY(iterate(input))) {
    if (!first_item) out += separator;
    first_item = false;
    out += to_str(attribute ? get_attribute_path(item, *attribute) : item, max_bytes);
    if (out.size() > max_bytes) return RF_ERROR(kCapacity, "the joined text would exceed {} bytes", max_bytes);
  }
  RF_TRY(interp.charge_bytes(out.size()));
  return Value::string(std::move(out));
}

Result<Value> list(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("list", std::move(args), {}));
  if (input.is_list() && !input.is_tuple()) return input;
  return Value::list(RF_TRY(iterate(input)));
}

Result<Value> reverse(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(bind_args("reverse", std::move(args), {}));
  if (input.is_string()) return get_slice(input, Value::none(), Value::none(), Value::integer(-1));
  std::vector<Value> items = RF_TRY(iterate(input));
  RF_TRY(interp.charge(items.size()));
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

// Stable sort by `key`, stopping at the first comparison that fails.
Status sort_by_keys(std::vector<std::pair<Value, Value>>& keyed, bool descending) {
  std::optional<Error> failure;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    if (failure) return false;
    auto c = order(x.first, y.first);
    if (!c) {
      failure = std::move(c).error();
      return false;
    }
    return descending ? *c > 0 : *c < 0;
  });
  if (failure) return std::move(*failure);
  return ok();
}

// The values of (key, value) pairs, sorted by key.
Result<Value> sorted_values(Interpreter& interp, std::vector<std::pair<Value, Value>> keyed, bool descending) {
  RF_TRY(interp.charge(keyed.size() * 8));
  RF_TRY(sort_by_keys(keyed, descending));
  std::vector<Value> out;
  out.reserve(keyed.size());
  for (auto& [key, value] : keyed) out.push_back(std::move(value));
  return Value::list(std::move(out));
}

Result<Value> sort(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("sort", std::move(args), {{"reverse", Value::boolean(false)},
                                                            {"case_sensitive", Value::boolean(false)},
                                                            {"attribute", Value::none()}}));
  const auto attribute = attribute_arg(a[2]);
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : RF_TRY(iterate(input))) {
    // Several attributes ("a,b") sort by each in turn, as a tuple of keys.
    if (attribute && attribute->find(',') != std::string::npos) {
      std::vector<Value> keys;
      for (const std::string& part : py_text::split(*attribute, std::string(","), -1)) {
        keys.push_back(sort_key(item, part, a[1].truthy()));
      }
      keyed.emplace_back(Value::tuple(std::move(keys)), std::move(item));
    } else {
      keyed.emplace_back(sort_key(item, attribute, a[1].truthy()), std::move(item));
    }
  }
  return sorted_values(interp, std::move(keyed), a[0].truthy());
}

Result<Value> dictsort(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("dictsort", std::move(args), {{"case_sensitive", Value::boolean(false)},
                                                                {"by", Value::string("key")},
                                                                {"reverse", Value::boolean(false)}}));
  if (!input.is_dict()) return RF_ERROR(kInvalidArgument, "dictsort needs a dict, not {}", input.type_name());
  const std::string by = to_str(a[1]);
  if (by != "key" && by != "value") return RF_ERROR(kInvalidArgument, "You can only sort by either \"key\" or \"value\"");
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [key, value] : input.as_dict().entries) {
    keyed.emplace_back(sort_key(by == "key" ? key : value, std::nullopt, a[0].truthy()), Value::tuple({key, value}));
  }
  return sorted_values(interp, std::move(keyed), a[2].truthy());
}

Result<Value> unique(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("unique", std::move(args), {{"case_sensitive", Value::boolean(false)},
                                                              {"attribute", Value::none()}}));
  const auto attribute = attribute_arg(a[1]);
  std::vector<Value> out;
  std::vector<Value> seen;
  for (Value& item : RF_TRY(iterate(input))) {
    Value key = sort_key(item, attribute, a[0].truthy());
    RF_TRY(interp.charge(seen.size() + 1));
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) continue;
    seen.push_back(std::move(key));
    out.push_back(std::move(item));
  }
  return Value::list(std::move(out));
}

Result<Value> items(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("items", std::move(args), {}));
  if (input.is_undefined()) return Value::list({});
  if (!input.is_dict()) return RF_ERROR(kInvalidArgument, "Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [key, value] : input.as_dict().entries) out.push_back(Value::tuple({key, value}));
  return Value::list(std::move(out));
}

// select/reject/selectattr/rejectattr: keep the items whose (attribute's)
// test result, or truth value when no test is named, equals `keep`.
Result<Value> select_items(Interpreter& interp, const Value& input, CallArgs args, bool by_attribute, bool keep) {
  if (!input.truthy()) return Value::list({});
  std::optional<std::string> attribute;
  size_t next = 0;
  if (by_attribute) {
    if (args.positional.empty()) return RF_ERROR(kInvalidArgument, "Missing parameter for attribute name");
    attribute = to_str(args.positional[0]);
    next = 1;
  }
  std::optional<std::string> test;
  if (args.positional.size() > next) test = to_str(args.positional[next++]);
  const std::vector<Value> test_args(args.positional.begin() + static_cast<std::ptrdiff_t>(next), args.positional.end());
  std::vector<Value> out;
  for (const Value& item : RF_TRY(iterate(input))) {
    const Value subject = attribute ? get_attribute_path(item, *attribute) : item;
    const bool passed =
        test ? RF_TRY(interp.apply_test(*test, subject, CallArgs{test_args, args.keyword})) : subject.truthy();
    if (passed == keep) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Result<Value> select(Interpreter& interp, const Value& input, CallArgs args) {
  return select_items(interp, input, std::move(args), false, true);
}
Result<Value> reject(Interpreter& interp, const Value& input, CallArgs args) {
  return select_items(interp, input, std::move(args), false, false);
}
Result<Value> selectattr(Interpreter& interp, const Value& input, CallArgs args) {
  return select_items(interp, input, std::move(args), true, true);
}
Result<Value> rejectattr(Interpreter& interp, const Value& input, CallArgs args) {
  return select_items(interp, input, std::move(args), true, false);
}

// map(attribute='x', default=d) or map('filter', args...).
Result<Value> map(Interpreter& interp, const Value& input, CallArgs args) {
  if (!input.truthy()) return Value::list({});
  std::vector<Value> out;
  if (args.positional.empty()) {
    const auto a = RF_TRY(bind_args("map", std::move(args), {{"attribute", {}}, {"default", Value::none()}}));
    const std::string attribute = to_str(a[0]);
    for (const Value& item : RF_TRY(iterate(input))) {
      Value v = get_attribute_path(item, attribute);
      out.push_back(v.is_undefined() && !a[1].is_none() ? a[1] : std::move(v));
    }
    return Value::list(std::move(out));
  }
  const std::string filter = to_str(args.positional[0]);
  const std::vector<Value> filter_args(args.positional.begin() + 1, args.positional.end());
  for (const Value& item : RF_TRY(iterate(input))) {
    out.push_back(RF_TRY(interp.apply_filter(filter, item, CallArgs{filter_args, args.keyword})));
  }
  return Value::list(std::move(out));
}

Result<Value> batch(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("batch", std::move(args), {{"linecount", {}}, {"fill_with", Value::none()}}));
  const int64_t size = RF_TRY(int_arg("batch", "linecount", a[0]));
  if (size <= 0) return RF_ERROR(kInvalidArgument, "batch size must be positive");
  std::vector<Value> out;
  std::vector<Value> row;
  for (Value& item : RF_TRY(iterate(input))) {
    if (static_cast<int64_t>(row.size()) == size) out.push_back(Value::list(std::exchange(row, {})));
    row.push_back(std::move(item));
  }
  if (!row.empty()) {
    while (!a[1].is_none() && static_cast<int64_t>(row.size()) < size) row.push_back(a[1]);
    out.push_back(Value::list(std::move(row)));
  }
  return Value::list(std::move(out));
}

Result<Value> slice(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("slice", std::move(args), {{"slices", {}}, {"fill_with", Value::none()}}));
  const int64_t slices = RF_TRY(int_arg("slice", "slices", a[0]));
  if (slices <= 0 || slices > 100000) return RF_ERROR(kInvalidArgument, "slices must be in 1..100000");
  const std::vector<Value> seq = RF_TRY(iterate(input));
  const auto n = static_cast<int64_t>(seq.size());
  const int64_t per_slice = n / slices;
  const int64_t with_extra = n % slices;
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t k = 0; k < slices; ++k) {
    const int64_t start = offset + k * per_slice;
    if (k < with_extra) ++offset;
    const int64_t end = offset + (k + 1) * per_slice;
    std::vector<Value> part(seq.begin() + start, seq.begin() + end);
    if (!a[1].is_none() && k >= with_extra) part.push_back(a[1]);
    out.push_back(Value::list(std::move(part)));
  }
  return Value::list(std::move(out));
}

Result<Value> sum(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("sum", std::move(args), {{"attribute", Value::none()}, {"start", Value::integer(0)}}));
  const auto attribute = attribute_arg(a[0]);
  Value total = a[1];
  for (const Value& item : RF_TRY(iterate(input))) {
    total = RF_TRY(binary_op(BinaryOp::kAdd, total, attribute ? get_attribute_path(item, *attribute) : item,
                             interp.limits().max_output_bytes));
  }
  return total;
}

Result<Value> min_or_max(Interpreter&, const Value& input, CallArgs args, bool want_max) {
  const auto a = RF_TRY(bind_args(want_max ? "max" : "min", std::move(args),
                                  {{"case_sensitive", Value::boolean(false)}, {"attribute", Value::none()}}));
  const auto attribute = attribute_arg(a[1]);
  const std::vector<Value> seq = RF_TRY(iterate(input));
  if (seq.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key = sort_key(seq[0], attribute, a[0].truthy());
  for (size_t i = 1; i < seq.size(); ++i) {
    Value key = sort_key(seq[i], attribute, a[0].truthy());
    const int c = RF_TRY(order(key, best_key));
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = std::move(key);
    }
  }
  return seq[best];
}

Result<Value> min(Interpreter& interp, const Value& input, CallArgs args) {
  return min_or_max(interp, input, std::move(args), false);
}
Result<Value> max(Interpreter& interp, const Value& input, CallArgs args) {
  return min_or_max(interp, input, std::move(args), true);
}

const FilterEntry kFilters[] = {
    {"length", length}, {"count", length},   {"first", first},   {"last", last},     {"join", join},
    {"list", list},     {"reverse", reverse}, {"sort", sort},     {"dictsort", dictsort}, {"unique", unique},
    {"items", items},   {"select", select},   {"reject", reject}, {"selectattr", selectattr},
    {"rejectattr", rejectattr}, {"map", map}, {"batch", batch}, {"slice", slice}, {"sum", sum},
    {"min", min},       {"max", max},
};

}  // namespace

std::span<const FilterEntry> sequence_filters() { return kFilters; }

}  // namespace rocmforge::chat::jinja
