#include "model/model.h"

namespace rocmforge::model {

Result<std::unique_ptr<Model>> Model::load(const std::string& path, backend::Backend& backend,
                                           const gguf::Limits& limits) {
  gguf::GgufFile file = RF_TRY(gguf::GgufFile::open(path, limits));
  std::unique_ptr<Model> model(new Model(std::move(file)));
  auto config = load_config(model->file_);
  if (!config) return std::move(config).error().with_context("'" + path + "'");
  model->config_ = std::move(*config);
  if (Status fits = backend.reserve_weights(model->file_.tensors()); !fits) {
    return std::move(fits).error().with_context("'" + path + "'");
  }
  auto weights = bind_weights(model->file_, model->config_, backend);
  if (!weights) return std::move(weights).error().with_context("'" + path + "'");
  model->weights_ = std::move(*weights);
  return model;
}

}  // namespace rocmforge::model
