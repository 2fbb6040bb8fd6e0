#include <gan/models/zoo_28.hpp>

#include "models.hpp"

void programs::add_28_models(gan::models::Registry& r) { gan::models::add_28_models(r); }
