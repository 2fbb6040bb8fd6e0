#pragma once
/// gan's optimisers: Adam and SGD, with PyTorch 1.13's update rules and a state()
/// of named tensors plus a step count for checkpoints; and Ema, the moving average of a
/// generator's weights.

#include "gan/optim/adam.hpp"
#include "gan/optim/ema.hpp"
#include "gan/optim/sgd.hpp"
