#pragma once
/// gan: everything but IO (which is gan/io.hpp and the gan::io target).

#include "gan/core/error.hpp"
#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/simd.hpp"
#include "gan/core/tensor.hpp"
#include "gan/layers/layer.hpp"
