# Finds gan's dependencies; used by our build and by the installed gan-config.cmake.
# GAN_USE_OPENMP (and GAN_IO_OPTIONAL) must be set before inclusion.
include(CMakeFindDependencyMacro)
find_dependency(Eigen3 3.4 NO_MODULE)
find_dependency(xsimd)
# Debian's xsimd 8.1 exports a link item "xtl" that nothing defines, so every link
# fails with "cannot find -lxtl" (docs/architecture.md, "Dependencies"). xsimd is
# header-only: drop it.
get_target_property(_gan_xsimd_links xsimd INTERFACE_LINK_LIBRARIES)
if(_gan_xsimd_links)
  list(REMOVE_ITEM _gan_xsimd_links xtl)
  set_target_properties(xsimd PROPERTIES INTERFACE_LINK_LIBRARIES "${_gan_xsimd_links}")
endif()
if(GAN_USE_OPENMP)
  find_dependency(OpenMP)
endif()
# gan::io's dependencies: required for our own build; optional for an installed gan, so a
# project that only links gan::gan needs neither zlib nor nlohmann_json.
if(GAN_IO_OPTIONAL)
  find_package(ZLIB QUIET)
  find_package(nlohmann_json 3.10 QUIET)
else()
  find_dependency(ZLIB)
  find_dependency(nlohmann_json 3.10)
endif()
