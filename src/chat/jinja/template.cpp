#include "chat/jinja/template.h"

#include "chat/jinja/interpreter.h"
#include "chat/jinja/json_values.h"
#include "chat/jinja/lexer.h"

namespace rocmforge::chat::jinja {

Result<Template> Template::parse(std::string_view source, const TemplateOptions& options) {
  if (source.size() > options.max_source_bytes) {
    return RF_ERROR(kCapacity, "the template is {} bytes, more than the limit of {}", source.size(),
                    options.max_source_bytes);
  }
  std::vector<Token> tokens = RF_TRY(tokenize(source));
  Program program = RF_TRY(jinja::parse(std::move(tokens), options.parse));
  return Template(std::make_shared<const Program>(std::move(program)));
}

Result<std::string> Template::render(const nlohmann::ordered_json& variables, const RenderOptions& options) const {
  if (!variables.is_object()) return RF_ERROR(kInvalidArgument, "template variables must be a JSON object");
  std::vector<std::pair<std::string, Value>> values;
  for (const auto& [name, json] : variables.items()) values.emplace_back(name, RF_TRY(from_json(json)));
  return render(std::move(values), options);
}

Result<std::string> Template::render(std::vector<std::pair<std::string, Value>> variables,
                                     const RenderOptions& options) const {
  Interpreter interpreter(options);
  return interpreter.render(*program_, std::move(variables));
}

}  // namespace rocmforge::chat::jinja
