#pragma once
/// gan's optimisers: Adam and SGD, with PyTorch 1.13's update rules and a state()
/// of named tensors plus a step count for checkpoints.

#include "gan/optim/adam.hpp"
#include "gan/optim/sgd.hpp"
