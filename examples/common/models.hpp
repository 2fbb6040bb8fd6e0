#pragma once
// The model registry of gan's programs: gan::models::builtin_models()'s entries, each zoo
// header compiled in a translation unit of its own (models_28.cpp, models_dcgan.cpp), so
// the programs build in parallel and none of them instantiates a net itself.

#include <gan/models/registry.hpp>

namespace programs {

const gan::models::Registry& models();

void add_28_models(gan::models::Registry& r);
void add_dcgan_models(gan::models::Registry& r);

}  // namespace programs
