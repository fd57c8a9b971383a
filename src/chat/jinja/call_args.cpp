#include "chat/jinja/call_args.h"

#include <algorithm>

namespace rocmforge::chat::jinja {

Result<std::vector<Value>> bind_args(std::string_view function, CallArgs args, std::initializer_list<Param> params) {
  if (args.positional.size() > params.size()) {
    return RF_ERROR(kInvalidArgument, "{}() takes at most {} argument(s) ({} given)", function, params.size(),
                    args.positional.size());
  }
  std::vector<std::optional<Value>> bound(params.size());
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = std::move(args.positional[i]);
  for (auto& [name, value] : args.keyword) {
    const auto it = std::find_if(params.begin(), params.end(), [&](const Param& p) { return p.name == name; });
    if (it == params.end()) {
      return RF_ERROR(kInvalidArgument, "{}() got an unexpected keyword argument '{}'", function, name);
    }
    auto& slot = bound[static_cast<size_t>(it - params.begin())];
    if (slot) return RF_ERROR(kInvalidArgument, "{}() got multiple values for argument '{}'", function, name);
    slot = std::move(value);
  }
  std::vector<Value> out;
  out.reserve(params.size());
  size_t i = 0;
  for (const Param& p : params) {
    if (bound[i]) {
      out.push_back(std::move(*bound[i]));
    } else if (p.default_value) {
      out.push_back(*p.default_value);
    } else {
      return RF_ERROR(kInvalidArgument, "{}() missing required argument '{}'", function, p.name);
    }
    ++i;
  }
  return out;
}

Result<int64_t> int_arg(std::string_view function, std::string_view param, const Value& v) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  return RF_ERROR(kInvalidArgument, "{}(): '{}' must be an integer, not {}", function, param, v.type_name());
}

Result<std::string> string_arg(std::string_view function, std::string_view param, const Value& v) {
  if (v.is_string()) return v.as_string();
  return RF_ERROR(kInvalidArgument, "{}(): '{}' must be a string, not {}", function, param, v.type_name());
}

Result<std::optional<std::string>> optional_string_arg(std::string_view function, std::string_view param,
                                                       const Value& v) {
  if (v.is_none() || v.is_undefined()) return std::optional<std::string>();
  return std::optional<std::string>(RF_TRY(string_arg(function, param, v)));
}

}  // namespace rocmforge::chat::jinja
