#include <gan/models/zoo_dcgan.hpp>

#include "models.hpp"

void programs::add_dcgan_models(gan::models::Registry& r) { gan::models::add_dcgan_models(r); }
