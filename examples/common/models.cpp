#include "models.hpp"

namespace programs {

const gan::models::Registry& models() {
  static const gan::models::Registry registry = [] {
    gan::models::Registry r;
    add_28_models(r);
    add_dcgan_models(r);
    return r;
  }();
  return registry;
}

}  // namespace programs
