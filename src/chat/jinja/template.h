// A Jinja template, parsed once and rendered many times, with the semantics
// Hugging Face transformers gives chat templates: jinja2's
// ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, the
// loopcontrols extension and the {% generation %} tag, plus
// raise_exception(), strftime_now() and transformers' tojson.
//
// Not supported (kUnsupported, or kParse where jinja2 would reject it too):
// template inheritance and inclusion ({% extends/block/include/import %}),
// {% autoescape %}, recursive for loops, cycler(), lipsum(), the filters
// groupby, pprint, random, striptags, urlencode, urlize, wordwrap, xmlattr,
// filesizeformat, format with keyword arguments, str.format() with format
// specs. Deliberate differences: integers are 64-bit (overflow is an error);
// case mapping covers ASCII only; range(), dict.items()/keys()/values() and
// filters that give generators in jinja2 give lists; Markup strings come
// only from |safe and |escape and stay Markup only through `+` and `*`.
//
// Rendering is const and thread-safe: a server can render one Template from
// many threads.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/parser.h"
#include "chat/jinja/render_options.h"
#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

struct TemplateOptions {
  ParseOptions parse;
  size_t max_source_bytes = size_t{1} << 20;
};

class Template {
 public:
  // kParse (with line and column) for a template that does not parse;
  // kCapacity for one larger than max_source_bytes; kUnsupported for a
  // construct this interpreter leaves out.
  static Result<Template> parse(std::string_view source, const TemplateOptions& options = {});

  // Renders with the members of `variables` (a JSON object) as variables.
  Result<std::string> render(const nlohmann::ordered_json& variables, const RenderOptions& options = {}) const;
  // Renders with variables given as values.
  Result<std::string> render(std::vector<std::pair<std::string, Value>> variables,
                             const RenderOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const Program> program) : program_(std::move(program)) {}

  std::shared_ptr<const Program> program_;
};

}  // namespace rocmforge::chat::jinja
