#pragma once
/// gan's losses. Each takes (input, target tensor or scalar label, grad), returns the
/// mean over all elements and overwrites grad with d(mean)/d(input), as PyTorch's
/// reduction='mean' (hinge_generator_loss takes no target; cross_entropy_loss takes
/// logits [N, C] and N class indices and averages over the N rows).

#include "gan/losses/bce.hpp"
#include "gan/losses/bce_with_logits.hpp"
#include "gan/losses/cross_entropy.hpp"
#include "gan/losses/hinge.hpp"
#include "gan/losses/least_squares.hpp"
#include "gan/losses/mse.hpp"
