// What templates can call by name: filters (`x | trim`), tests
// (`x is defined`), global functions (range, namespace, raise_exception,
// ...) and the methods of strings, lists and dicts (`s.split(',')`).
//
// The filter and test tables list every name jinja2 knows, so that the parser
// can reject an unknown one as jinja2 does; a name this build does not
// implement has no function and fails with kUnsupported when it runs.
#pragma once

#include <optional>
#include <string_view>

#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

using FilterFunction = Result<Value> (*)(Interpreter& interp, const Value& input, CallArgs args);
using TestFunction = Result<bool> (*)(Interpreter& interp, const Value& input, CallArgs args);

struct FilterEntry {
  std::string_view name;
  FilterFunction function = nullptr;  // null: jinja2 has it, this interpreter does not
};

struct TestEntry {
  std::string_view name;
  TestFunction function = nullptr;
};

// nullptr for a name jinja2 does not know either.
const FilterEntry* find_filter(std::string_view name);
const TestEntry* find_test(std::string_view name);

// The global functions (a fresh value each call; nullopt when unknown).
std::optional<Value> find_global(std::string_view name);

// `object.name` for a method of a str, list or dict, bound to the object;
// nullopt when the type has no such method. Methods that would mutate
// (list.append, dict.update, ...) are bound but fail when called, as in
// transformers' sandbox.
std::optional<Value> find_method(const Value& object, std::string_view name);

}  // namespace rocmforge::chat::jinja
