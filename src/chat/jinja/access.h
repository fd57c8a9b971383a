// Reading parts of values, as jinja2's sandboxed environment does:
// `x.name` tries a method or attribute first, then the item; `x[key]` tries
// the item first, then (for a string key) the attribute. What is not there is
// undefined rather than an error, so `message.tool_calls is defined` works.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

// `object` must not be undefined (reading from undefined is an error the
// caller reports).
Value get_attribute(const Value& object, std::string_view name);
Value get_item(const Value& object, const Value& key);

// object[start:stop:step]; each bound may be none or undefined (left out).
// kInvalidArgument for a zero step or a bound that is not an int.
Result<Value> get_slice(const Value& object, const Value& start, const Value& stop, const Value& step);

// What `for x in value` visits: items of a list or tuple, keys of a dict,
// characters of a string, nothing for undefined. kInvalidArgument for a value
// that is not iterable.
Result<std::vector<Value>> iterate(const Value& value);

// jinja2's attribute getter for filters (`map(attribute='a.b')`,
// `selectattr('role')`): dot-separated parts, each read as an item (an
// integer part as an index) falling back to the attribute.
Value get_attribute_path(const Value& object, std::string_view path);

}  // namespace rocmforge::chat::jinja
